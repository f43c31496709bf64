"""Where a job stands in the queue and roughly when it will be done, from recent job times.

Interactive jobs take turns by user (``work.fairness``: each job's priority falls with the
number of its owner's jobs ahead of it), so the jobs ahead of a queued job are the running
ones, the queued ones with fewer of their owner's jobs ahead of them (or as many, and older),
plus the ML renditions a worker is running now (they cannot be interrupted). Each counts for the median duration of the last jobs of its
operation (what remains of it when it is running). Only counts and operation names are
shown: nothing about other users' jobs.
"""

from __future__ import annotations

from statistics import median

from django.utils import timezone

from ..models import GenerationJob, RenditionJob
from ..operations import describe

SAMPLES = 20


def _op_name(spec: str) -> str:
    return (spec or "").split("-")[0].split("|")[0]


class Durations:
    """Median run time of recent successful jobs, per operation name (memoised)."""

    def __init__(self):
        self.cache: dict[str, float | None] = {}

    def typical(self, spec: str) -> float | None:
        name = _op_name(spec)
        if name not in self.cache:
            rows = [d for d in (
                GenerationJob.objects.filter(status=GenerationJob.Status.SUCCEEDED,
                                             operation__startswith=name,
                                             started_at__isnull=False, finished_at__isnull=False)
                .order_by("-finished_at").values_list("started_at", "finished_at")[:SAMPLES]
            )]
            times = [(end - start).total_seconds() for start, end in rows]
            self.cache[name] = median(times) if times else None
        return self.cache[name]

    def rendition(self) -> float | None:
        if "|rendition" not in self.cache:
            times = list(RenditionJob.objects.filter(status=RenditionJob.Status.DONE,
                                                     duration__isnull=False)
                         .order_by("-finished_at").values_list("duration", flat=True)[:SAMPLES])
            self.cache["|rendition"] = median(times) if times else None
        return self.cache["|rendition"]


def _remaining(typical: float | None, started_at, now) -> float | None:
    if typical is None:
        return None
    if started_at is None:
        return typical
    return max(1.0, typical - (now - started_at).total_seconds())


def jobs_ahead(job, limit: int = 1000) -> list[tuple]:
    """``(operation, status, started_at)`` of the jobs that run before the queued ``job``,
    in the order they run: the running ones, then the queued ones in round-robin order
    (fewer of their owner's active jobs created before them first, then the oldest)."""
    active = list(GenerationJob.objects.filter(status__in=GenerationJob.ACTIVE_STATUSES)
                  .order_by("created_at", "pk")
                  .values_list("pk", "user_id", "operation", "status", "started_at")[:limit])
    seen: dict = {}
    order = []
    for position, (pk, user_id, operation, status, started_at) in enumerate(active):
        rank = seen.get(user_id, 0) if user_id is not None else 0
        seen[user_id] = rank + 1
        running = status == GenerationJob.Status.RUNNING
        order.append(((not running, rank, position), pk, (operation, status, started_at)))
    mine = next((key for key, pk, _row in order if pk == job.pk), None)
    return [row for key, pk, row in sorted(order)
            if pk != job.pk and (mine is None or key < mine)]


def queue_state(job) -> dict | None:
    """``{"position", "ahead", "running", "ahead_labels", "wait_seconds", "run_seconds",
    "done_in_seconds", "estimated"}`` for a queued or running job, else None. Seconds are None
    where no recent job of that operation gives a time (``estimated`` False)."""
    if not job.is_active:
        return None
    now = timezone.now()
    durations = Durations()
    own = durations.typical(job.operation)
    if job.status == GenerationJob.Status.RUNNING:
        left = _remaining(own, job.started_at, now)
        return {"position": 0, "ahead": 0, "running": 0, "ahead_labels": [],
                "wait_seconds": 0, "run_seconds": own, "done_in_seconds": left,
                "estimated": left is not None}
    ahead = jobs_ahead(job)
    renditions = list(RenditionJob.objects.filter(status=RenditionJob.Status.RUNNING)
                      .values_list("filter_spec", "started_at")[:20])
    wait, known = 0.0, True
    labels = []
    for spec, status, started_at in ahead:
        left = _remaining(durations.typical(spec),
                          started_at if status == GenerationJob.Status.RUNNING else None, now)
        labels.append({"label": describe(spec), "running": status == GenerationJob.Status.RUNNING})
        if left is None:
            known = False
        else:
            wait += left
    for _spec, started_at in renditions:
        left = _remaining(durations.rendition(), started_at, now)
        if left is not None:
            wait += left
    running = sum(1 for _s, status, _t in ahead if status == GenerationJob.Status.RUNNING)
    estimated = known and own is not None
    return {
        "position": len(ahead) + 1,
        "ahead": len(ahead),
        "running": running + len(renditions),
        "ahead_labels": labels[:5],
        "wait_seconds": round(wait, 1) if known else None,
        "run_seconds": round(own, 1) if own is not None else None,
        "done_in_seconds": round(wait + own, 1) if estimated else None,
        "estimated": estimated,
    }


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{max(1, seconds)} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if rest and minutes < 10 else f"{minutes} min"


def queue_text(state: dict | None) -> str:
    """One sentence for the job page: "2nd in the queue: 1 job ahead (upscaled 4×, running).
    Starts in about 1 min 30 s, done in about 1 min 31 s (from recent job times)."""
    if not state:
        return ""
    if state["position"] == 0:
        if state["done_in_seconds"] is None:
            return ""
        return f"About {_duration(state['done_in_seconds'])} left (from recent job times)."
    if state["ahead"] == 0 and state["running"] == 0:
        text = "Next in the queue."
    else:
        jobs = state["ahead"]
        parts = [f"{label['label']}{', running' if label['running'] else ''}"
                 for label in state["ahead_labels"]]
        more = jobs - len(parts)
        detail = "; ".join(parts) + (f"; {more} more" if more > 0 else "")
        text = f"Position {state['position']} in the queue"
        if jobs:
            text += f": {jobs} job{'s' if jobs != 1 else ''} ahead ({detail})"
        if state["running"] > jobs:
            n = state["running"] - sum(1 for p in state["ahead_labels"] if p["running"])
            if n > 0:
                text += f"{',' if jobs else ':'} {n} image rendition{'s' if n != 1 else ''} running"
        text += "."
    if state["wait_seconds"] is not None and state["done_in_seconds"] is not None:
        text += (f" Starts in about {_duration(state['wait_seconds'])}, done in about "
                 f"{_duration(state['done_in_seconds'])} (from recent job times).")
    elif state["wait_seconds"] is not None and state["wait_seconds"] > 0:
        text += f" Starts in about {_duration(state['wait_seconds'])} (from recent job times)."
    return text
