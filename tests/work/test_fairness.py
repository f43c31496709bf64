"""Fair scheduling between users (``work.fairness``): each image or video job's priority falls
with the number of its owner's jobs ahead of it, so users take turns and one user's backlog
delays another user's job by at most the job running when it arrives. Measured with a real
consumer on this run's queue (SqliteHuey in the SQLite pass, PriorityRedisHuey in the Redis
pass)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from tests.utils import HueyConsumer, wait_for
from wagtail_gan import jobs
from wagtail_gan.models import GenerationJob, VideoJob
from wagtail_gan.views.queue_estimate import queue_state
from wagtail_gan.work import fairness

RUN = 1.0  # seconds each model run takes in the consumer test


@pytest.fixture
def second_editor(gan_world):
    user = get_user_model().objects.create_user("second", "second@example.com", "pw")
    user.groups.add(Group.objects.get(name="GAN editors"))
    return user


def submit(user, image, spec="stylize-3"):
    return jobs.submit_variant_job(user=user, image=image, operation=spec)


@pytest.mark.django_db
def test_each_user_takes_a_turn_in_the_queue(gan_world, second_editor,
                                            django_capture_on_commit_callbacks):
    HUEY.flush()
    with django_capture_on_commit_callbacks(execute=True):
        a = [submit(gan_world.editor, gan_world.image, f"stylize-{i}") for i in range(1, 5)]
        b = submit(second_editor, gan_world.image)
    pending = HUEY.pending()
    assert [t.args[0] for t in pending] == [a[0].pk, b.pk, a[1].pk, a[2].pk, a[3].pk]
    assert [t.priority for t in pending] == [100, 100, 99.5, 100 - 2 / 3, 99.25]
    # what the job page says agrees: B's job has one job ahead of it, A's last four
    assert queue_state(b)["position"] == 2
    assert queue_state(a[3])["position"] == 5
    # video jobs are in the same round-robin; ended and waiting jobs are not ahead
    VideoJob.objects.create(user=second_editor, kind="stills", status="queued")
    later = submit(second_editor, gan_world.image, "stylize-9")
    assert fairness.ahead(GenerationJob, later.pk) == 2
    GenerationJob.objects.filter(pk=b.pk).update(status="waiting")
    VideoJob.objects.update(status="cancelled")
    assert fairness.ahead(GenerationJob, later.pk) == 0
    assert fairness.ahead(GenerationJob, 10**9) == 0
    HUEY.flush()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_backlog_delays_another_users_job_by_at_most_one_run(
    gan_world, second_editor, slow_model, tmp_path
):
    """User A queues five jobs, then user B one: with one worker, B's job starts as soon as the
    job running when it arrived ends (FIFO would make it wait for all five)."""
    HUEY.flush()
    slow_model("stylize", delay=RUN)
    consumer = HueyConsumer(log_path=tmp_path / "consumer.log")
    consumer.start()
    try:
        a = [submit(gan_world.editor, gan_world.image, f"stylize-{i}") for i in range(1, 6)]
        # B arrives while one of A's jobs is under way (not at the instant one ends, when the
        # worker may already have taken A's next message off the queue before B's was on it)
        wait_for(lambda: GenerationJob.objects.filter(status="running").exists(), timeout=60,
                 interval=0.02, message=consumer.log()[-2000:])
        b = submit(second_editor, gan_world.image)
        queued = timezone.now()  # B's message is on the queue (enqueued on commit)
        wait_for(lambda: not GenerationJob.objects.filter(
            status__in=["queued", "running"]).exists(), timeout=120, interval=0.1,
            message=consumer.log()[-2000:])
    finally:
        consumer.stop()
        HUEY.flush()
    done = {job.pk: job for job in GenerationJob.objects.all()}
    b, a = done[b.pk], [done[job.pk] for job in a]
    assert {job.status for job in done.values()} == {"succeeded"}, consumer.log()[-2000:]
    order = sorted(done.values(), key=lambda job: job.started_at)
    runs = [(job.pk, job.created_at, job.started_at, job.finished_at) for job in order]
    # A's jobs that started after B's was queued and before B's started: none
    overtook = [job.pk for job in a if queued < job.started_at < b.started_at]
    assert overtook == [], runs
    a_done_first = sum(job.finished_at <= b.finished_at for job in a)
    # those A had started when B's was queued, or A's first (queued first at the same rank)
    assert a_done_first <= max(1, sum(job.started_at <= queued for job in a)), runs
    waited = (b.started_at - b.created_at).total_seconds()
    # at most the run under way, plus the queue's polling (and a busy test machine)
    assert waited <= RUN + 2.5, (waited, runs)
    assert [job.pk for job in order if job.user_id == gan_world.editor.pk] == [
        job.pk for job in a]  # A's own jobs keep their order
    print(f"B waited {waited:.2f} s (one run: {RUN} s); A jobs done before B: {a_done_first}; "
          f"run order: {['B' if job.pk == b.pk else 'A' for job in order]}")
