"""Drift guards: what the documentation and the docstrings name exists.

* README.md and docs/**/*.md: every code span shaped like a file of this repository
  (``jobs/worker.py``, ``models_zoo/backends/``, ``tests/test_foundation.py``), also with an
  attribute (``renditions/worker.run_rendition_job``), names a file (or folder) that exists and
  the attribute is defined in it; every dotted name that starts with a module of the package
  (``wagtail_gan.operations.parse_spec``, ``work.submit.create``, ``jobs.outputs.serve_output``)
  imports.
* Docstrings of the package, the tests, the scripts and the benchmarks: the same for the paths
  and dotted names they mention; ``:mod:`.name``` and the ``* ``name``  ...`` module lists of a
  package's docstring name modules of that package.

A reference resolves by its path's end (``jobs/worker.py`` is ``wagtail_gan/jobs/worker.py``);
paths under a git-ignored folder (``sandbox/data/``) are made at run time and not checked.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps

from tests.utils import ROOT

# The worked example of docs/architecture.md: the operation a reader adds.
EXAMPLES = {"wagtail_gan/operations/sharpen.py"}
# Files of other projects that docstrings cite (Practical-RIFE's, vintagify's).
UPSTREAM = {"inference_video.py", "generator.py"}
# The site a reader makes with `wagtail start mysite` (the install guide's paths).
SITE = ("mysite/",)
# System check ids (``wagtail_gan.W005``) are dotted but name no module.
CHECK_ID = re.compile(r"wagtail_gan\.[EW]\d{3}")
EXTENSIONS = ("py", "md", "js", "css", "html", "txt", "json", "toml", "cfg", "yml", "yaml", "sh",
              "onnx", "pth", "pt", "pkl", "bin", "safetensors", "jpg", "png", "mp4", "pem")
CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
# a/b/c.py, a/b/, a/b.attr, x.py; no spaces, URLs or placeholders
PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+/?|[\w-]+\.py")
DOTTED = re.compile(r"(?<![\w./-])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)")
DOC_PATH = re.compile(r"(?<![\w/.:-])([\w.-]+(?:/[\w.-]+)+/?|[\w-]+\.py)(?![\w/])")
# in docstrings, paths of source files (not storage names such as images/x.png, nor URLs)
SOURCE_EXTENSIONS = ("py", "md", "js", "css", "html", "txt", "toml", "cfg", "yml", "yaml", "sh")
MOD_ROLE = re.compile(r":mod:`~?(\.?[\w.]+)`")
MODULE_LIST_ITEM = re.compile(r"^\s*\*\s+``(\w+)``", re.M)


@cache
def tracked_files() -> tuple[str, ...]:
    """The repository's files (tracked, or new and not ignored): the checkout's own list."""
    if not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout (the list of the repository's files)")
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return tuple(f for f in out.split("\n") if f and (ROOT / f).exists())


@cache
def path_suffixes() -> frozenset[str]:
    """Every file and folder of the repository by every end of its path."""
    found = set()
    for name in tracked_files():
        parts = name.split("/")
        for end in range(1, len(parts) + 1):
            for start in range(end):
                found.add("/".join(parts[start:end]))
    return frozenset(found)


@cache
def folder_names() -> frozenset[str]:
    return frozenset(part for name in tracked_files() for part in name.split("/")[:-1])


@cache
def defined_names(path: str) -> frozenset[str]:
    """Top-level names of a Python file (definitions, assignments, imports)."""
    tree = ast.parse((ROOT / path).read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return frozenset(names)


def git_ignored(path: str) -> bool:
    """Under a git-ignored folder (made at run time), with or without its trailing slash."""
    paths = [path, path.rstrip("/") + "/"]
    return any(subprocess.run(["git", "check-ignore", "-q", p], cwd=ROOT).returncode == 0
               for p in paths)


def path_problem(ref: str) -> str | None:
    """Why ``ref`` (a path, perhaps with ``.attr``) does not resolve, or None."""
    if git_ignored(ref):
        return None
    ref = ref.rstrip("/").removeprefix("./")
    if ref in EXAMPLES or ref in UPSTREAM or ref.startswith(SITE):
        return None
    if ref in path_suffixes():
        return None
    stem, dot, attr = ref.rpartition(".")
    if dot and attr not in EXTENSIONS and f"{stem}.py" in path_suffixes():
        files = [f for f in tracked_files() if f == f"{stem}.py" or f.endswith(f"/{stem}.py")]
        if any(attr in defined_names(f) for f in files):
            return None
        return f"{attr!r} is not defined in {stem}.py"
    return "no such file or folder"


def looks_like_repo_path(ref: str) -> bool:
    """A path of this repository rather than a URL, a Hugging Face id or a release asset: it
    ends in .py, or starts with one of the repository's folder names."""
    first = ref.removeprefix("./").split("/")[0]
    return ref.endswith(".py") or first in folder_names() or first in {".ci", "wagtail_gan"}


def docstring_path(ref: str) -> bool:
    """In a docstring, a path of this repository: a source file (``jobs/worker.py``, also
    ``a/b.py`` under one of the repository's folders), or anything under one of its top-level
    folders (``wagtail_gan/static/...``); URL paths (``video/jobs/``) are not."""
    parts = ref.removeprefix("./").split("/")
    if parts[0] in {name.split("/")[0] for name in tracked_files() if "/" in name}:
        return True
    if ref.rpartition(".")[2] not in SOURCE_EXTENSIONS:
        return False
    return len(parts) == 1 or parts[0] in folder_names()


@cache
def top_level_modules() -> frozenset[str]:
    package = ROOT / "wagtail_gan"
    return frozenset(p.stem if p.is_file() else p.name for p in package.iterdir()
                     if (p.suffix == ".py" or (p / "__init__.py").exists())
                     and p.name != "__init__.py")


def dotted_problem(ref: str) -> str | None:
    """Why a dotted name of the package (``wagtail_gan.<module>...``, or ``<module>.<name>``
    with a top-level module of the package) does not import, or None; other dotted names (and
    permission names such as ``wagtail_gan.manage_models``) are not ours to check."""
    if CHECK_ID.fullmatch(ref):
        return None
    parts = ref.split(".")
    if parts[0] == "wagtail_gan":
        parts = parts[1:]
        if len(parts) == 1 and parts[0] in permission_codenames():
            return None
    elif parts[0] not in top_level_modules():
        return None
    if not parts or parts[-1] in EXTENSIONS:
        return None
    obj = importlib.import_module("wagtail_gan")
    for i, part in enumerate(parts):
        if not hasattr(obj, part):
            name = ".".join(["wagtail_gan", *parts[:i + 1]])
            try:
                obj = importlib.import_module(name)
            except ModuleNotFoundError:
                return f"{name} does not exist"
            continue
        obj = getattr(obj, part)
    return None


@cache
def permission_codenames() -> frozenset[str]:
    config = apps.get_app_config("wagtail_gan")
    return frozenset(codename for model in config.get_models()
                     for codename, _ in model._meta.permissions)


def doc_files() -> list[str]:
    return [f for f in tracked_files()
            if f == "README.md" or (f.startswith("docs/") and f.endswith(".md"))]


def python_files() -> list[str]:
    return [f for f in tracked_files()
            if f.endswith(".py") and f.split("/")[0] in ("wagtail_gan", "tests", "scripts",
                                                         "benchmarks", "sandbox")
            and "/migrations/" not in f]


def docstrings(path: str):
    """(docstring, the module's package as a dotted name, is it a package's __init__)."""
    tree = ast.parse((ROOT / path).read_text())
    package = ".".join(Path(path).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            text = ast.get_docstring(node, clean=False)
            if text:
                yield text, package, isinstance(node, ast.Module) and path.endswith("__init__.py")


def test_documentation_names_files_and_modules_that_exist():
    problems = []
    for doc in doc_files():
        text = (ROOT / doc).read_text()
        for match in CODE_SPAN.finditer(text):
            span = match.group(1).strip()
            where = f"{doc}:{text.count(chr(10), 0, match.start()) + 1}: `{span}`"
            if "://" in span or any(c in span for c in "<>{}*$ "):
                if (m := DOTTED.match(span)) and (why := dotted_problem(m.group(1))):
                    problems.append(f"{where}: {why}")
                continue
            if PATH.fullmatch(span) and looks_like_repo_path(span):
                if why := path_problem(span):
                    problems.append(f"{where}: {why}")
            elif (m := DOTTED.match(span)) and (why := dotted_problem(m.group(1))):
                problems.append(f"{where}: {why}")
    assert problems == [], "\n".join(problems)


def test_docstrings_name_files_and_modules_that_exist():
    problems = []
    for path in python_files():
        for text, package, is_package in docstrings(path):
            for match in DOC_PATH.finditer(text):
                ref = match.group(1).rstrip(".,")
                context = text[max(0, match.start() - 12):match.end() + 3]
                if "://" in context or not docstring_path(ref):
                    continue
                if why := path_problem(ref):
                    problems.append(f"{path}: {ref}: {why}")
            for match in re.finditer(r"``([^`\s]+)``", text):
                if (m := DOTTED.fullmatch(match.group(1).split("(")[0])) and (
                        why := dotted_problem(m.group(1))):
                    problems.append(f"{path}: ``{match.group(1)}``: {why}")
            if not package.startswith("wagtail_gan"):
                continue
            own = package  # the package of the module, or the package itself
            for match in MOD_ROLE.finditer(text):
                target = match.group(1)
                name = own + target if target.startswith(".") else target
                if importlib.util.find_spec(name) is None:
                    problems.append(f"{path}: :mod:`{target}`: {name} does not exist")
            if is_package:
                for name in MODULE_LIST_ITEM.findall(text):
                    if importlib.util.find_spec(f"{own}.{name}") is None:
                        problems.append(f"{path}: ``{name}``: {own}.{name} does not exist")
    assert problems == [], "\n".join(problems)
