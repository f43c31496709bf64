"""Check built distributions: every file of the package that git tracks (code, migrations,
templates, static files, data files) is in the wheel and in the sdist, with the version of
``wagtail_gan/__init__.py``.

    python scripts/check_dist.py dist/wagtail_gan-*.whl dist/wagtail_gan-*.tar.gz
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tracked() -> set[str]:
    out = subprocess.run(["git", "ls-files", "wagtail_gan"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return {line for line in out.splitlines() if line and (ROOT / line).is_file()}


def main(paths: list[str]) -> int:
    version = re.search(r'__version__ = "([^"]+)"',
                        (ROOT / "wagtail_gan" / "__init__.py").read_text()).group(1)
    files = tracked()
    failed = False
    for path in paths:
        if path.endswith(".whl"):
            names = set(zipfile.ZipFile(path).namelist())
        else:
            with tarfile.open(path) as tar:
                names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        missing = sorted(files - names)
        wrong_version = version not in Path(path).name
        kinds = {k: sum(1 for n in names if f"/{k}/" in n) for k in
                 ("migrations", "templates", "static")}
        print(f"{Path(path).name}: {len(names)} files; {kinds}; "
              f"{len(missing)} tracked package files missing")
        for name in missing[:20]:
            print(f"  missing: {name}")
        if missing or wrong_version:
            failed = True
            if wrong_version:
                print(f"  the file name does not carry the version {version}")
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
