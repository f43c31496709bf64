import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("wagtail_gan", "0004_modeltask_models_page"),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkerProcess",
            fields=[
                ("id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("hostname", models.CharField(blank=True, max_length=255)),
                ("pid", models.PositiveIntegerField(default=0)),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_seen", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
            ],
            options={"verbose_name": "worker process"},
        ),
        migrations.AddField(
            model_name="generationjob",
            name="worker_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="renditionjob",
            name="worker_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="renditionjob",
            name="canonical_name",
            field=models.CharField(blank=True, db_index=True, max_length=255),
        ),
    ]
