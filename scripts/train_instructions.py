"""Train the instruction router's learned intent layer and write
``wagtail_gan/instructions/intent_model.json``.

    .venv/bin/python scripts/train_instructions.py [--folds 5]

Reads ``corpus/instructions/train/`` (never ``test/``) and the example phrasings every
operation declares in its ``VOCABULARY``. Run it after changing the corpus or a vocabulary:
``tests/test_instructions_model.py`` fails while the shipped model is out of date.
``--folds N`` first prints an N-fold cross-validation on the training part (what to tune
against; the held-out test part is the benchmark's, ``benchmarks/bench_instructions.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "sandbox")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def cross_validate(examples, folds: int) -> None:
    # after django.setup() (main): the operations read settings and models
    from wagtail_gan.instructions import interpret  # noqa: PLC0415
    from wagtail_gan.instructions.router import use_model  # noqa: PLC0415
    from wagtail_gan.instructions.training import read_corpus, train  # noqa: PLC0415

    extra = read_corpus("train", ("multi", "negation"))
    right, total, per = 0, 0, Counter()
    misses = []
    buckets = Counter()
    for k in range(folds):
        fit = [e for i, e in enumerate(examples) if i % folds != k]
        held = [e for i, e in enumerate(examples) if i % folds == k]
        held += [e for i, e in enumerate(extra) if i % folds == k]
        model = train(fit)
        with use_model(model):
            for e in held:
                plan = interpret(e.text, available=lambda s: True)
                spec = plan.spec
                ok = spec in e.expected or (e.source == "vocabulary" and spec.split("-")[0] == e.expected[0])
                bucket = min(int(plan.confidence * 10), 9) / 10
                buckets[(bucket, ok)] += 1
                if plan.ambiguous:
                    buckets[("asked", ok)] += 1
                    buckets[("asked_among", any(a.spec in e.expected for a in plan.alternatives))] += 1
                right += ok
                total += 1
                per[(e.source, ok)] += 1
                if not ok:
                    misses.append(f"  {e.source:10} {e.text!r}: {spec} (want {' or '.join(e.expected)})")
    print(f"cross-validation ({folds} folds, train part only): {right}/{total} = "
          f"{right / total:.3f}")
    for source in sorted({s for s, _ in per}):
        n = per[(source, True)] + per[(source, False)]
        print(f"  {source:10} {per[(source, True)]}/{n} = {per[(source, True)] / n:.3f}")
    print("  confidence: " + ", ".join(
        f"{b:.1f}+ {buckets[(b, True)]}/{buckets[(b, True)] + buckets[(b, False)]}"
        for b in sorted({k[0] for k in buckets if isinstance(k[0], float)})))
    print(f"  asked {buckets[('asked', True)] + buckets[('asked', False)]}: first right "
          f"{buckets[('asked', True)]}, right among the choices {buckets[('asked_among', True)]}")
    if os.environ.get("SHOW_MISSES"):
        print("\n".join(misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    django.setup()
    # after django.setup(): the operations read settings and models
    from wagtail_gan.instructions import training  # noqa: PLC0415
    from wagtail_gan.instructions.intent import MODEL_PATH  # noqa: PLC0415
    from wagtail_gan.instructions.training import (  # noqa: PLC0415
        digest,
        train,
        training_examples,
    )

    for name in ("EPOCHS", "RATE", "L2"):  # experiments: EPOCHS=8 L2=1e-3 ...
        if os.environ.get(name):
            setattr(training, name, type(getattr(training, name))(os.environ[name]))
    examples = training_examples()
    if args.folds:
        cross_validate(examples, args.folds)
    if args.no_write:
        return
    start = time.perf_counter()
    model = train(examples, log=print)
    model.digest = digest()
    MODEL_PATH.write_text(model.to_json() + "\n")
    print(f"{len(examples)} examples, {len(model.classes)} classes, {len(model.weights)} "
          f"features; {MODEL_PATH.stat().st_size / 1024:.0f} KiB written to "
          f"{MODEL_PATH.relative_to(ROOT)} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
