"""The instruction router on the held-out part of the corpus (``corpus/instructions/test/``,
never used to train or tune), against the rules-only router it replaced, in one run.

    .venv/bin/python benchmarks/bench_instructions.py [--split test] [--misses]
        [--baseline-commit 24b9a44]

Prints, for the router (the learned layer on), the same router with the learned layer off
(its rules alone) and the previous router (the single-module router at
``--baseline-commit``, read from git; skipped without git):

* accuracy per operation: the right operation(s), and the right spec (operation and
  parameters: ``upscale-2x``, ``stylize-7``, ``removebg-ffffff``);
* multi-step and negation accuracy, and the total;
* the confusion between operations (expected -> read), the router only;
* how often the router asks (offers choices) and whether the right reading is among them;
* latency per instruction (median, 95th percentile, max) and the first call (compiling the
  vocabularies, loading the model).

Routing is measured as if every model were installed (``available`` always true): which
models a site installed changes what runs, not what was understood. Operations that are not
registered yet (``vintage``) get the training script's stand-in.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "sandbox")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

GROUPS = ("upscale", "winterize", "stylize", "removebg", "erase", "expand", "restore",
          "vintage", "edit", "multi", "negation")


def ops_of(spec: str) -> str:
    return "|".join(step.split("-")[0] for step in spec.split("|"))


def baseline_router(commit: str):
    """``interpret`` of the previous router, from git (None when it cannot be read)."""
    try:
        source = subprocess.run(["git", "show", f"{commit}:wagtail_gan/instructions.py"],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    source = source.replace("from . import operations", "from wagtail_gan import operations")
    source = source.replace("from .conf import", "from wagtail_gan.conf import")
    source = source.replace("from .operations.", "from wagtail_gan.operations.")
    spec = importlib.util.spec_from_loader("instructions_baseline", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(source, f"{commit}:wagtail_gan/instructions.py", "exec"), module.__dict__)
    return module.interpret


def score(name: str, interpret, examples, *, confusion=False, misses=False) -> dict:
    per = defaultdict(Counter)
    matrix: dict[str, Counter] = defaultdict(Counter)
    asked = Counter()
    wrong = []
    for e in examples:
        try:
            plan = interpret(e.text)
            spec = plan.spec
        except Exception as exc:  # a crash is a miss, and is counted
            spec, plan = f"error:{type(exc).__name__}", None
            per[e.source]["errors"] += 1
        ok_spec = spec in e.expected
        ok_ops = ops_of(spec) in {ops_of(x) for x in e.expected}
        per[e.source]["n"] += 1
        per[e.source]["ops"] += ok_ops
        per[e.source]["spec"] += ok_spec
        if not ok_spec:
            wrong.append(f"    {e.source:9} {e.text!r}: {spec} (want {' or '.join(e.expected)})")
        if confusion and e.source not in ("multi", "negation"):
            read_as = ops_of(spec) if "|" not in spec else "several"
            matrix[ops_of(e.expected[0])][read_as] += 1
        alternatives = getattr(plan, "alternatives", ()) if plan is not None else ()
        if len(alternatives) > 1:
            asked["asked"] += 1
            asked["right_among"] += any(a.spec in e.expected for a in alternatives)
            asked["right_first"] += ok_spec
        else:
            asked["sure"] += 1
            asked["sure_right"] += ok_spec
    total = Counter()
    for c in per.values():
        total.update(c)
    print(f"\n== {name}: {total['spec']}/{total['n']} = {total['spec'] / total['n']:.3f} "
          f"(operations right: {total['ops'] / total['n']:.3f}; errors raised: "
          f"{total['errors']})")
    print(f"  {'part':10} {'n':>4}  {'operation(s)':>12}  {'spec':>6}")
    for source in [g for g in GROUPS if g in per]:
        c = per[source]
        print(f"  {source:10} {c['n']:4}  {c['ops'] / c['n']:12.3f}  {c['spec'] / c['n']:6.3f}")
    if confusion:
        labels = sorted({k for k in matrix} | {p for row in matrix.values() for p in row})
        short = {lab: lab[:7] for lab in labels}
        print("\n  confusion (rows: expected operation, columns: read as; single-operation "
              "instructions)")
        print("  " + " " * 10 + " ".join(f"{short[lab]:>7}" for lab in labels))
        for lab in sorted(matrix):
            row = matrix[lab]
            print(f"  {lab[:10]:10}" + " ".join(
                f"{row[p]:7d}" if row[p] else f"{'.':>7}" for p in labels))
    if asked["asked"] or confusion:
        n_asked, n_sure = asked["asked"], asked["sure"]
        print(f"\n  asked (offered choices): {n_asked}/{n_asked + n_sure}"
              + (f"; the right reading among the choices {asked['right_among']}/{n_asked}, "
                 f"first {asked['right_first']}/{n_asked}" if n_asked else "")
              + (f"; sure and right {asked['sure_right']}/{n_sure} = "
                 f"{asked['sure_right'] / n_sure:.3f}" if n_sure else ""))
    if misses:
        print("\n".join(wrong))
    return total


def latency(interpret, examples, repeat: int = 3) -> None:
    """Wall-clock and CPU time per instruction (CPU time is what the router costs; the wall
    clock also counts whatever else the machine runs)."""
    wall, cpu = [], []
    interpret(examples[0].text)  # warm: the vocabularies are compiled once per registry state
    for _ in range(repeat):
        for e in examples:
            start, start_cpu = time.perf_counter(), time.process_time()
            interpret(e.text)
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    for name, times in (("CPU", cpu), ("wall clock", wall)):
        times.sort()
        print(f"  {name:10}: median {statistics.median(times):.2f} ms, p95 "
              f"{times[int(len(times) * 0.95)]:.2f} ms, p99 {times[int(len(times) * 0.99)]:.2f} ms,"
              f" max {times[-1]:.2f} ms ({len(times)} calls, warm)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test", choices=("test", "train"))
    parser.add_argument("--misses", action="store_true", help="list every wrong reading")
    parser.add_argument("--baseline-commit", default="24b9a44")
    args = parser.parse_args()
    import django

    django.setup()
    from wagtail_gan.instructions import interpret
    from wagtail_gan.instructions.router import use_model
    from wagtail_gan.instructions.training import read_corpus

    examples = read_corpus(args.split)
    counts = Counter(e.source for e in examples)
    print(f"corpus/instructions/{args.split}/: {len(examples)} instructions "
          + ", ".join(f"{g} {counts[g]}" for g in GROUPS if counts[g]))

    start = time.perf_counter()
    interpret("upscale it", available=lambda s: True)
    print(f"first call (compile the vocabularies, load the model): "
          f"{(time.perf_counter() - start) * 1000:.0f} ms")

    def router(text):
        return interpret(text, available=lambda s: True)

    new = score("router (rules + learned layer)", router, examples, confusion=True,
                misses=args.misses)
    with use_model(None):
        rules = score("router, learned layer off (rules alone)", router, examples)
    old = None
    baseline = baseline_router(args.baseline_commit)
    if baseline is not None:
        old = score(f"previous router ({args.baseline_commit}, rules only)", baseline, examples)
    print("\nratios (spec accuracy): router / rules alone = "
          f"{new['spec'] / max(rules['spec'], 1):.2f}"
          + (f", router / previous router = {new['spec'] / max(old['spec'], 1):.2f}"
             if old else ""))
    print(f"\nlatency per instruction (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs):")
    latency(router, examples)
    if baseline is not None:
        print("the previous router, for comparison:")
        latency(baseline, examples)


if __name__ == "__main__":
    main()
