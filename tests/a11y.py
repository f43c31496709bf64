"""axe-core checks for the browser tests (``axe-playwright-python`` ships axe-core and injects
it with Playwright; nothing is downloaded).

    from tests.a11y import assert_no_axe_violations

    assert_no_axe_violations(page)                        # the whole page
    assert_no_axe_violations(page, context="main")        # only our content
    assert_no_axe_violations(page, ignore=[
        # say why: e.g. Wagtail's own chrome, not our markup
        ("color-contrast", ".w-breadcrumbs"),
    ])

Layout checks for the same pages: ``LAPTOP`` / ``PHONE`` viewports, ``UNREACHABLE_JS`` (the
elements of a selector that cannot be scrolled to and clicked) and ``SIDEWAYS_JS`` (a page that
scrolls sideways), evaluated with ``page.evaluate``.

Only violations of the given impacts ("serious" and "critical" by default) fail. ``ignore``
drops the nodes of one rule (``"*"`` = any rule) whose CSS target starts with or contains a
selector: use it only for markup that is not ours (Wagtail's chrome), with a comment saying
which and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pytest

from tests.conftest import IN_CI

SERIOUS = ("serious", "critical")


@dataclass(frozen=True)
class AxeProblem:
    """One failing node of one axe rule."""

    rule: str
    impact: str
    help: str
    target: str
    html: str
    summary: str

    def __str__(self) -> str:
        return (f"[{self.impact}] {self.rule}: {self.help}\n    at {self.target}\n"
                f"    {self.html[:300]}\n    {self.summary[:400]}")


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe  # noqa: PLC0415 - optional test dep
    except ImportError:  # pragma: no cover - depends on the environment
        if IN_CI:
            pytest.fail("CI=true but axe-playwright-python is not installed (the test extra)")
        pytest.skip("axe-playwright-python is not installed (pip install -e .[test])")
    return Axe()


def _target(node: dict) -> str:
    # axe gives a list of selectors (more than one inside iframes / shadow roots)
    return " >> ".join(str(t) for t in node.get("target") or [])


def _ignored(rule: str, target: str, ignore: Iterable[tuple[str, str]]) -> bool:
    return any((r in ("*", rule)) and sel in target for r, sel in ignore)


def axe_problems(page, *, context: str | dict | None = None,
                 impacts: Sequence[str] = SERIOUS,
                 ignore: Iterable[tuple[str, str]] = (),
                 rules_off: Iterable[str] = ()) -> list[AxeProblem]:
    """Run axe-core on ``page`` (optionally only inside ``context``, a CSS selector or an axe
    context dict ``{"include": [...], "exclude": [...]}``); the failing nodes of the given
    impacts, less the ``ignore``d ones. ``rules_off`` switches whole rules off (say why)."""
    options: dict = {"resultTypes": ["violations"]}
    rules_off = list(rules_off)
    if rules_off:
        options["rules"] = {rule: {"enabled": False} for rule in rules_off}
    results = _axe().run(page, context=context, options=options)
    ignore = list(ignore)
    problems = []
    for violation in results.response.get("violations", []):
        for node in violation.get("nodes", []):
            impact = node.get("impact") or violation.get("impact") or ""
            target = _target(node)
            if impact not in impacts or _ignored(violation["id"], target, ignore):
                continue
            problems.append(AxeProblem(
                rule=violation["id"], impact=impact, help=violation.get("help", ""),
                target=target, html=node.get("html", ""),
                summary=node.get("failureSummary", "")))
    return problems


def assert_no_axe_violations(page, *, context: str | dict | None = None,
                             impacts: Sequence[str] = SERIOUS,
                             ignore: Iterable[tuple[str, str]] = (),
                             rules_off: Iterable[str] = (), label: str = "") -> None:
    """Fail with a readable list when axe-core finds serious or critical problems."""
    problems = axe_problems(page, context=context, impacts=impacts, ignore=ignore,
                            rules_off=rules_off)
    where = label or page.url
    assert not problems, f"axe-core on {where}: {len(problems)} problem(s)\n" + "\n".join(
        str(p) for p in problems)


# -- layout ----------------------------------------------------------------------------

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# For each element matching the selector (and visible): scrolled to the middle of the
# viewport, is it inside the viewport and is the element at its centre the element itself
# (not clipped by an overflow-hidden ancestor, not covered by a sticky bar)? The failures.
UNREACHABLE_JS = """(selector) => {
  const bad = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility()) continue;  // hidden on purpose (a closed details, a hidden field)
    el.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'});
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const inside = r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
      && r.right <= window.innerWidth && r.bottom <= window.innerHeight;
    const hit = document.elementFromPoint(x, y);
    // scrolled into view inside a container the user cannot scroll (overflow hidden/clip)?
    let clipped = null;
    for (let a = el.parentElement; a; a = a.parentElement) {
      const c = getComputedStyle(a);
      const locked = (o) => o === 'hidden' || o === 'clip';
      if ((locked(c.overflowX) && a.scrollLeft) || (locked(c.overflowY) && a.scrollTop)) clipped = a;
    }
    if (clipped) {
      bad.push(`${el.tagName} ${(el.textContent || el.name || '').trim().slice(0, 40)}: only ` +
               `reached by scrolling ${clipped.tagName}.${clipped.className} (overflow hidden)`);
      clipped.scrollLeft = 0;
      continue;
    }
    if (!inside || !hit || !(hit === el || el.contains(hit) || hit.contains(el)
                             || (el.labels && [...el.labels].some((l) => l.contains(hit))))) {
      bad.push(`${el.tagName} ${(el.textContent || el.name || '').trim().slice(0, 40)} at ` +
               `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x` +
               `${Math.round(r.height)} (hit: ${hit ? hit.outerHTML.slice(0, 80) : 'none'})`);
    }
  }
  return bad;
}"""
SIDEWAYS_JS = "[document.documentElement.scrollWidth, window.innerWidth]"
