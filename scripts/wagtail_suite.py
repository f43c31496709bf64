"""Wagtail's own images tests, without wagtail-gan and with it installed as the README says
(tests/wagtail_suite/settings.py runs docs/snippets/install_settings.py): every test that
passes without the plugin must pass with it.

    python scripts/wagtail_suite.py            # with wagtail-gan; without too only on failures
    python scripts/wagtail_suite.py --both     # both runs whatever happens, then the comparison

A run with the plugin where every test passes needs no baseline (nothing can be worse than
"all passed"), so CI runs the suite once; any failure runs it again without the plugin to
tell ours from Wagtail's own.

The tests ship in the wagtail package; they run with Wagtail's test settings
(``wagtail.test.settings``), as Wagtail's own CI runs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROKEN = re.compile(r"^(FAIL|ERROR): (\w+) \(([\w.]+)\)(?: \((.*)\))?$")


def run(settings: str) -> tuple[set[str], int, float, str]:
    import wagtail  # noqa: PLC0415 - the Wagtail of the venv that runs the suite

    package = Path(wagtail.__file__).parent
    # Its test settings write media and static files inside the package; files left by an
    # earlier run change the names of new ones (Wagtail's own runner deletes them too).
    for leftover in ("test-media", "test-static"):
        shutil.rmtree(package / "tests" / leftover, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "DJANGO_SETTINGS_MODULE": settings, "PYTHONWARNINGS": "ignore"}
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gan-wagtail-suite-") as cwd:
        # Some tests open "wagtail/images/tests/image_files/..." relative to the working
        # folder: give them one where that path exists (running from site-packages itself
        # would import whatever "tests" package is installed there instead of ours).
        (Path(cwd) / "wagtail").symlink_to(package, target_is_directory=True)
        proc = subprocess.run(
            [sys.executable, "-m", "django", "test", "wagtail.images", "--noinput", "-v", "2"],
            cwd=cwd, env=env, capture_output=True, text=True,
        )
    elapsed = time.monotonic() - start
    out = proc.stderr + proc.stdout
    broken = set()
    for line in out.splitlines():
        m = BROKEN.match(line)
        if m:
            broken.add(f"{m.group(3)}.{m.group(2)}" + (f" ({m.group(4)})" if m.group(4) else ""))
    ran = re.search(r"^Ran (\d+) tests?", out, re.M)
    total = int(ran.group(1)) if ran else 0
    if not total:
        sys.stderr.write(out[-4000:])
    return broken, total, elapsed, out


def main() -> int:
    with_plugin, n_with, t_with, out = run("tests.wagtail_suite.settings")
    print(f"Wagtail images tests with wagtail-gan:    {n_with} ran, {len(with_plugin)} failed "
          f"or errored ({t_with:.0f} s)")
    if not n_with:
        return 1
    if not with_plugin and "--both" not in sys.argv[1:]:
        return 0
    without, n_without, t_without, _ = run("wagtail.test.settings")
    print(f"Wagtail images tests without wagtail-gan: {n_without} ran, {len(without)} failed "
          f"or errored ({t_without:.0f} s)")
    for name in sorted(without):
        print(f"  broken in both runs (not ours): {name}")
    new = sorted(with_plugin - without)
    for name in new:
        print(f"  FAILS ONLY WITH wagtail-gan: {name}")
    if new:
        Path("test-artifacts").mkdir(exist_ok=True)
        Path("test-artifacts/wagtail-suite-with-plugin.txt").write_text(out)
        print("  (full output: test-artifacts/wagtail-suite-with-plugin.txt)")
    if not n_without or n_with != n_without or new:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
