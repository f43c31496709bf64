# Issue 24: jobs that wait for their model (status "waiting", waiting_for), pins kept from the Models page (ModelPin), model tasks that count steps (progress_unit).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('wagtail_gan', '0007_modeltask_liveness'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='generationjob',
            name='waiting_for',
            field=models.CharField(blank=True, db_index=True, max_length=128),
        ),
        migrations.AddField(
            model_name='modeltask',
            name='progress_unit',
            field=models.CharField(default='bytes', max_length=8),
        ),
        migrations.AddField(
            model_name='renditionjob',
            name='waiting_for',
            field=models.CharField(blank=True, db_index=True, max_length=128),
        ),
        migrations.AlterField(
            model_name='generationjob',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('cancelled', 'Cancelled'), ('waiting', 'Waiting for a model')], db_index=True, default='queued', max_length=16),
        ),
        migrations.AlterField(
            model_name='renditionjob',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed'), ('expired', 'Expired'), ('skipped', 'Skipped (not sent to a model)'), ('waiting', 'Waiting for a model')], db_index=True, default='pending', max_length=16),
        ),
        migrations.AlterField(
            model_name='videojob',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('cancelled', 'Cancelled'), ('waiting', 'Waiting for a model')], db_index=True, default='queued', max_length=16),
        ),
        migrations.CreateModel(
            name='ModelPin',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('model_id', models.CharField(max_length=128, unique=True)),
                ('revision', models.CharField(max_length=40)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'model pin',
            },
        ),
    ]
