"""One clause's readings: the operations it may ask for, best first, each with a spec."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import operations
from .clauses import Clause
from .intent import features
from .lexicon import Evidence
from .looks import FRAME, PLACEHOLDER, Choice

STOPWORDS = frozenset("""
a an the it this that these those them it's its is be to of for on in at by with and or
please pls thanks thank you can could would will should i we me my our us do does just
some bit little very really so too also then now here there like as make get want need
one version copy image photo picture pic shot photograph file thing look feel maybe kindly
hey hi hello ok okay quick quickly for website page newsletter
""".split())


# Below this probability, a reading of a named operation that no word in the clause asks for
# counts for less.
UNSUPPORTED = 0.7


@dataclass
class Reading:
    op: str
    score: float
    spec: operations.OperationSpec | None = None
    words: str = ""
    note: str = ""
    choice: Choice | None = None


@dataclass
class ClauseReading:
    clause: Clause
    evidence: dict[str, Evidence]
    readings: list[Reading] = field(default_factory=list)  # formable, best first
    declined: list[str] = field(default_factory=list)  # ops declined or opposed here
    filler: bool = False
    declined_only: bool = False
    unformable: list[str] = field(default_factory=list)  # operations read but with no spec

    @property
    def best(self) -> Reading | None:
        return self.readings[0] if self.readings else None

    @property
    def confidence(self) -> float:
        total = sum(r.score for r in self.readings)
        return self.readings[0].score / total if total and self.readings else 0.0


def observe(lexicon, looks: dict, clause: Clause, reference: Choice | None = None):
    """(evidence per operation, chosen look per operation, the model's features) of a
    clause: the same for the router and the training script."""
    ev = lexicon.evidence(clause)
    choices = {op: index.choose(clause) for op, index in looks.items()}
    if reference is not None and PLACEHOLDER in clause.text:
        for op, entry in lexicon.entries.items():
            if entry.vocab.reference:
                choices[op] = reference
                ev[op].strong.append((0, reference.words))
    extra = []
    for op, choice in choices.items():
        if choice is not None:
            extra.append("LOOKD" if choice.described else "LOOKX")
            weak = choice.described and not choice.distinct
            (ev[op].weak if weak else ev[op].strong).append((0, choice.words))
            ev[op].objects.append(choice.position)
    if FRAME.search(clause.text):
        extra.append("FRAME")
    if lexicon.removal_at(clause):
        extra.append("RV")
    return ev, choices, features(clause, ev, tuple(extra), lexicon.known)


def read(state, clause: Clause, reference: Choice | None) -> ClauseReading:
    ev, choices, feats = observe(state.lexicon, state.looks, clause, reference)
    probs = state.model.predict(feats) if state.model else {}
    out = ClauseReading(clause, ev)
    content = [t for t in clause.tokens if not t.scope and t.lemma not in STOPWORDS]
    positive = any(e.positive for e in ev.values())
    negative = [op for op, e in ev.items() if (e.declined or e.opposite) and not e.strong]
    out.declined = [op for op in negative if op in state.ops]
    if not positive and not content:
        out.declined_only = bool(negative)
        out.filler = not negative
        return out
    candidates = []
    for op in list(state.ops) + ([state.free] if state.free else []):
        e = ev.get(op, Evidence())
        if op in probs:
            score = probs[op]
            if op != state.free and not e.positive and score < UNSUPPORTED:
                score *= 0.3  # the model alone, without a word for it: less sure
            if e.objects and e.strong:
                score = max(score, 0.02)  # a thing of its own named: may be a second step
        elif op == state.free:
            score = 0.3
        else:  # an operation the model was not trained on: its words alone
            score = 0.85 if e.strong else 0.4 if e.weak else 0.0
        if op in negative or score < 0.01:
            continue
        candidates.append((score, op))
    candidates.sort(reverse=True)
    for score, op in candidates:
        reading = form(state, op, clause.text, clause, choices.get(op), ev.get(op))
        if reading is None:
            if score > 0.2 and op != state.free:
                out.unformable.append(op)
            continue
        reading.score = score
        out.readings.append(reading)
    return out


def form(state, op: str, text: str, clause: Clause | None, choice: Choice | None,
         ev: Evidence | None, prompt: str = "") -> Reading | None:
    """A reading of ``op`` with its spec from the words of ``text``, or None when no spec
    parses (a style that does not exist, a look nobody described)."""
    words = ", ".join(w for _i, w in sorted((ev.strong + ev.weak) if ev else []))
    if op == state.free:
        spec = operations.parse_spec(op)
        return Reading(op, 0.0, operations.OperationSpec(
            spec.operation, {"prompt": prompt or (clause.text if clause else text)}, spec.text,
            spec.op), words or (clause.text if clause else text))
    entry = state.lexicon.entries[op]
    found = state.lexicon.arg_candidates(op, text)
    tried: list[tuple[str, str, str]] = []
    args = list(dict.fromkeys(a for a, _w, _n in found if a))
    if len(args) > 1:
        tried.append(("-".join(args), ", ".join(w for _a, w, _n in found), ""))
    tried += [(a, w, n) for a, w, n in found]
    if choice is not None:
        tried.append((choice.arg, choice.words, ""))
    if not (entry.vocab.looks or entry.vocab.reference) or not tried:
        tried.append((entry.vocab.default, "", ""))
    for arg, arg_words, note in tried:
        try:
            spec = operations.parse_spec(f"{op}-{arg}" if arg else op)
        except operations.InvalidSpec:
            continue
        if spec.operation != op:
            continue
        used = choice if (choice is not None and arg == choice.arg) else None
        if used is not None and "style_image" in spec.params:
            spec = operations.OperationSpec(
                spec.operation, {**spec.params, "style_image_title": used.words},
                spec.text, spec.op)
        said = words or arg_words or (clause.text if clause is not None else text)
        return Reading(op, 0.0, spec, said, note, used)
    return None
