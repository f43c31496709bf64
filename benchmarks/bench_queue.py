"""Queue latency: enqueue -> the task starts on a consumer, SqliteHuey vs PriorityRedisHuey.

    .venv/bin/python benchmarks/bench_queue.py [--samples 20] [--idle 6] [--idle-seconds 3]
        [--redis redis://127.0.0.1:6379/14] [--compare-sqlite-max-delay 2.0]

Both queues are built from ``wagtail_gan.queue.huey_settings()`` (the storage options and the
consumer options - workers, polling backoff, max delay - that ``manage.py run_huey`` uses) and
consumed by a Huey consumer in a subprocess; the task records ``time.time()`` when it starts.
Two cases per queue, in one run:

* busy: a task enqueued right after the previous one finished (the consumer polled a moment
  ago);
* idle: a task enqueued after the consumer waited ``--idle-seconds`` with an empty queue (a
  polling consumer has backed off to its longest sleep; a blocking read has not).

Django is not needed: the latency is the queue's and the consumer's. Redis is skipped when
unreachable.
"""

from __future__ import annotations

import argparse
import importlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_huey(kind: str, data_dir: str, redis_url: str):
    """``kind``: "redis", "sqlite", or "sqlite@<max_delay>" (the consumer's longest poll
    interval overridden, for a same-run comparison)."""
    from wagtail_gan.queue import huey_settings

    kind, _, max_delay = kind.partition("@")
    config = huey_settings(data_dir, redis_url=redis_url if kind == "redis" else "",
                           name=f"bench-queue-{kind}")
    config.pop("immediate")
    consumer = config.pop("consumer")
    if max_delay:
        consumer["max_delay"] = float(max_delay)
    module, _, cls = config.pop("huey_class").rpartition(".")
    huey = getattr(importlib.import_module(module), cls)(config.pop("name"), **config)
    return huey, consumer


def register(huey):
    @huey.task(name="bench.started_at")
    def started_at() -> float:
        return time.time()

    return started_at


def consume(kind: str, data_dir: str, redis_url: str) -> None:
    from huey.consumer import Consumer

    huey, options = build_huey(kind, data_dir, redis_url)
    register(huey)
    options = {k: v for k, v in options.items() if k != "periodic"}
    Consumer(huey, periodic=False, **options).run()


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=0.5):
            return True
    except OSError:
        return False


def measure(kind: str, data_dir: str, redis_url: str, samples: int, idle: int,
            idle_seconds: float) -> dict[str, list[float]]:
    huey, _ = build_huey(kind, data_dir, redis_url)
    task = register(huey)
    huey.flush()
    proc = subprocess.Popen([sys.executable, __file__, "--consume", kind, "--data-dir", data_dir,
                             "--redis", redis_url], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        task().get(blocking=True, timeout=60)  # the consumer is up
        out: dict[str, list[float]] = {"busy": [], "idle": []}
        for case, count in (("busy", samples), ("idle", idle)):
            for _ in range(count):
                if case == "idle":
                    time.sleep(idle_seconds)
                sent = time.time()
                started = task().get(blocking=True, timeout=60)
                out[case].append((started - sent) * 1000)
        return out
    finally:
        proc.terminate()
        proc.wait(10)
        huey.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--idle", type=int, default=6)
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--compare-sqlite-max-delay", type=float, default=None,
                        help="also measure SqliteHuey with this longest poll interval")
    parser.add_argument("--consume")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    if args.consume:
        return consume(args.consume, args.data_dir, args.redis)
    kinds = ["sqlite"] + (["redis"] if reachable(args.redis) else [])
    if args.compare_sqlite_max_delay is not None:
        kinds.insert(0, f"sqlite@{args.compare_sqlite_max_delay:g}")
    print(f"enqueue -> start latency in ms; busy: {args.samples} back-to-back tasks, idle: "
          f"{args.idle} tasks after {args.idle_seconds:g}s of empty queue each")
    print("| queue | case | median | p90 | max |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as data_dir:
        for kind in kinds:
            results = measure(kind, data_dir, args.redis, args.samples, args.idle,
                              args.idle_seconds)
            name = {"sqlite": "SqliteHuey (polling)", "redis": "PriorityRedisHuey (blocking)"}.get(
                kind, f"SqliteHuey (polling, max_delay {kind.partition('@')[2]} s)")
            for case, values in results.items():
                values = sorted(values)
                p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
                print(f"| {name} | {case} | {statistics.median(values):.1f} | {p90:.1f} | "
                      f"{values[-1]:.1f} |")
    if "redis" not in kinds:
        print(f"(Redis at {args.redis} unreachable: skipped)")


if __name__ == "__main__":
    main()
