"""``interpret()``: an instruction -> an ``EditPlan``.

1. The text is normalised (``text``), cut into clauses with their negations (``clauses``).
2. Each clause gets evidence from the operations' vocabularies (``lexicon``, ``looks``) and
   a probability per operation from the learned intent layer (``intent``) over its words,
   character n-grams and that evidence; declined and opposite operations are ruled out, and
   operations that are not registered are never read (``reading``).
3. Clauses that ask for the same operation are one step; steps run in the order the text
   names them, upscaling last. The plan's confidence is its least sure step's; below
   ``ASK_BELOW`` the plan offers its two best readings. A step whose model is not installed
   gives way to an installed reading that fits nearly as well, and the explanation says so.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from .. import operations
from .clauses import fragments, merge, retracted
from .intent import default_model
from .lexicon import Evidence, Lexicon, vocabularies
from .looks import PLACEHOLDER, Choice, LookIndex, find_reference
from .plan import EditPlan, clean_instruction
from .reading import ClauseReading, Reading, form, read
from .text import canonical, normalize

MAX_STEPS = operations.registry.MAX_STEPS
# Below this confidence the plan offers its two best readings as choices.
ASK_BELOW = 0.7
# An installed reading replaces one whose model is missing when it scores at least this
# fraction of it.
NEARLY_AS_WELL = 0.4
# A free-form edit is never surer than this: the router did not find an operation for it.
FREE_MAX = 0.85
# A second operation in one clause ("remove the scratches and the logo") needs this much.
SECOND_OP = 0.01


class _State:
    def __init__(self, signature, ops, model):
        self.signature = signature
        vocabs = vocabularies(ops)
        self.ops = {name: op for name, op in ((op.name, op) for op in ops) if name in vocabs}
        free = [op.name for op in ops if op.needs_instruction and op.variant]
        self.free = free[0] if free else None
        self.model = model
        self.lexicon = Lexicon(vocabs, model.known if model else ())
        self.looks = {name: LookIndex(v, self.lexicon.known) for name, v in vocabs.items()
                      if v.looks}


_state: _State | None = None
_model_override: list = []


@contextmanager
def use_model(model):
    """Interpret with another intent model (None: rules alone), e.g. one trained on part of
    the corpus for cross-validation."""
    _model_override.append(model)
    try:
        yield
    finally:
        _model_override.pop()


def state() -> _State:
    """The compiled lexicon and model, rebuilt when the registered operations change."""
    global _state
    ops = [op for op in operations.all_operations() if op.variant]
    model = _model_override[-1] if _model_override else default_model()
    signature = (tuple((op.name, id(op), id(getattr(op, "vocabulary", None))) for op in ops),
                 id(model))
    if _state is None or _state.signature != signature:
        _state = _State(signature, ops, model)
    return _state


def interpret(
    text: str,
    *,
    image_lookup: Callable[[str], tuple[int, str] | None] | None = None,
    available: Callable[[operations.OperationSpec], bool] | None = None,
) -> EditPlan:
    """Map an editor's instruction to an ``EditPlan``.

    ``image_lookup(title) -> (image_id, title) | None`` resolves "in the style of <title>" to
    a library image (the admin passes one limited to images the editor may use).
    ``available(spec) -> bool`` says whether a step can run here (default: its model is
    installed and the operation enabled). Raises ``InstructionError`` for empty or over-long
    text.
    """
    original = clean_instruction(text)
    st = state()
    if available is None:
        available = runnable
    norm = normalize(original)
    ref = find_reference(norm, image_lookup)
    reference = None
    if ref is not None:
        norm, image_id, title = ref
        reference = Choice(f"image{image_id}", None, title, 0.95)
    surface = canonical(norm, st.lexicon.speller)
    facts = _Facts(st)
    clauses = merge(retracted(fragments(surface, st.lexicon.known)), facts.asks, facts.ops)
    readings = [read(st, clause, reference) for clause in clauses]
    return _plan(st, original, readings, available)


def runnable(spec: operations.OperationSpec) -> bool:
    """The step can run on this site: its operation is enabled and its model installed."""
    return spec.op.is_enabled() and spec.available


class _Facts:
    """A fragment's evidence and looks, computed once per ``interpret`` (merging asks for
    them several times)."""

    def __init__(self, st: _State):
        self.st = st
        self.memo: dict[int, tuple] = {}

    def __call__(self, clause):
        key = id(clause)
        if key not in self.memo:
            looks = {op: index.choose(clause) for op, index in self.st.looks.items()}
            self.memo[key] = (clause, self.st.lexicon.evidence(clause), looks)
        return self.memo[key][1:]

    def ops(self, clause) -> tuple[set[str], set[str]]:
        ev, looks = self(clause)
        chosen = {op for op, choice in looks.items() if choice is not None}
        return ({op for op, e in ev.items() if e.strong} | chosen,
                {op for op, e in ev.items() if e.strong or e.weak} | chosen)

    def asks(self, clause, weak: bool = False) -> bool:
        """Does the fragment ask for (or against) something on its own?"""
        ev, looks = self(clause)
        return PLACEHOLDER in clause.text or any(
            e.strong or e.objects or e.declined or e.opposite or (weak and e.weak)
            for e in ev.values()) or any(
            choice is not None and not choice.described for choice in looks.values())


def _plan(st: _State, original: str, readings: list[ClauseReading], available) -> EditPlan:
    declined = sorted({op for r in readings for op in r.declined})
    named = [r for r in readings if r.best is not None and r.best.op != st.free]
    groups: dict[str, list[tuple[ClauseReading, Reading]]] = {}
    where: dict[str, tuple[int, int]] = {}  # op -> (clause, token): the order written
    not_understood: list[str] = []
    notes: list[str] = []
    for n, r in enumerate(readings):
        if r.filler or r.declined_only:
            continue
        best = r.best
        unsupported = (best is not None and best.op != st.free and r.confidence < 0.5
                       and not r.evidence[best.op].positive)
        if unsupported and len(readings) == 1:
            continue  # the free-form plan, with this reading as a choice
        # "style 99": it names an operation, in a way none of its specs fits
        misread = any(r.evidence[op].strong for op in r.unformable) and bool(named)
        if best is None or unsupported or misread or (
                best.op == st.free and named and r.confidence < 0.35):
            not_understood.append(r.clause.text)
            notes += _unformable_notes(r)
            continue
        groups.setdefault(best.op, []).append((r, best))
        where.setdefault(best.op, (n, r.evidence[best.op].first if best.op in r.evidence
                                   else 0))
        first = r.evidence.get(best.op)
        for second in r.readings[1:]:
            other = r.evidence.get(second.op)
            if (second.op != st.free and second.score >= SECOND_OP and first is not None
                    and first.objects and other is not None and other.objects
                    and not set(other.objects) & set(first.objects)
                    and second.op not in groups):
                groups.setdefault(second.op, []).append((r, second))
                where.setdefault(second.op, (n, min(other.objects)))
    if not groups:
        return _free_plan(st, original, readings, declined, not_understood)
    steps, alternatives = [], []
    for op, members in sorted(groups.items(), key=lambda g: where.get(g[0], (0, 0))):
        step, alt = _step(st, op, members, original, only=len(groups) == 1, available=available,
                          notes=notes)
        steps.append(step)
        alternatives.append(alt)
    order = [s for s in steps if s.operation != "upscale"] + [
        s for s in steps if s.operation == "upscale"]
    if len(steps) > 1 and order != steps:
        notes.append("Upscaling runs last: the other steps then work on the smaller image "
                     "(faster).")
    if declined:
        notes.append("Not: " + ", ".join(declined) + " (you said not to).")
    if len(order) > MAX_STEPS:  # said, not dropped silently
        notes.append(f"At most {MAX_STEPS} steps: "
                     + ", ".join(s.label for s in order[MAX_STEPS:]) + " left out.")
        not_understood += [f"{s.label} (more than {MAX_STEPS} steps)" for s in order[MAX_STEPS:]]
    steps = order[:MAX_STEPS]
    confidence = min(s.confidence for s in steps)
    if not_understood:  # the plan leaves part of the instruction out
        confidence *= 0.6
    explanation = " ".join([s.explanation for s in steps] + notes)
    if len(steps) == 1:
        plan = EditPlan(steps[0].operation, steps[0].params, confidence, explanation,
                        not_understood=tuple(not_understood))
    else:
        plan = EditPlan("steps", {}, confidence, explanation, tuple(steps),
                        not_understood=tuple(not_understood))
    return _with_choices(plan, steps, alternatives, confidence)


def _step(st, op, members, original, *, only, available, notes):
    """The step of ``op`` from its clauses, and the next-best reading of its least sure clause
    (or None)."""
    text = " and ".join(r.clause.text for r, _ in members)
    weakest, reading = min(members, key=lambda m: m[0].confidence)
    confidence = max(m[0].confidence for m in members)
    if reading.choice is not None:
        confidence = min(confidence, reading.choice.confidence)
    prompt = original if only else text
    formed = form(st, op, text, members[0][0].clause, reading.choice,
                  _merged_evidence(members, op), prompt) or reading
    step = _as_step(formed, min(confidence, FREE_MAX) if op == st.free else confidence)
    others = [r for r in weakest.readings if r.op != op]
    alt = _as_step(_reprompt(st, others[0], prompt), others[0].score / max(
        sum(r.score for r in weakest.readings), 1e-9)) if others else None
    if reading.choice is not None and reading.choice.runner_up and reading.choice.described:
        arg, words = reading.choice.runner_up
        try:
            spec = operations.parse_spec(f"{op}-{arg}")
            alt = _as_step(Reading(op, 0.0, spec, words), confidence * 0.8)
        except operations.InvalidSpec:
            pass
    if not available(formed.spec):
        for other in weakest.readings:
            if (other.op != op and other.score >= NEARLY_AS_WELL * weakest.readings[0].score
                    and available(other.spec)):
                swap = _as_step(_reprompt(st, other, prompt), confidence * 0.9)
                notes.append(f"It reads best as “{step.label}”, whose model is not installed "
                             f"here; “{swap.label}” fits nearly as well, so that runs.")
                return swap, step
    return step, alt


def _merged_evidence(members, op):
    ev = Evidence()
    for r, _ in members:
        e = r.evidence.get(op)
        if e is not None:
            ev.strong += e.strong
            ev.weak += e.weak
    return ev


def _reprompt(st, reading: Reading, prompt: str) -> Reading:
    if reading.op == st.free and reading.spec is not None:
        spec = reading.spec
        return Reading(reading.op, reading.score, operations.OperationSpec(
            spec.operation, {"prompt": prompt}, spec.text, spec.op), reading.words)
    return reading


def _as_step(reading: Reading, confidence: float) -> EditPlan:
    spec = reading.spec
    label = spec.op.label_for(spec.params)
    said = list(dict.fromkeys(w.strip() for w in reading.words.split(", ") if w.strip()))
    # "double the size", not "double, double the size, size"
    said = [w for w in said if not any(w != o and w in o for o in said)]
    words = ", ".join(said) or label
    explanation = f"“{words}”: {label}"
    choice = reading.choice
    if choice is not None and choice.look is not None:
        if choice.described:
            explanation = (f"“{choice.words}” → {spec.op.title_for(spec.params)} "
                           f"({choice.look.description}), the nearest built-in look")
        else:
            explanation = f"“{choice.words}” names {choice.look.description}: {label}"
    elif choice is not None:
        explanation = f"“{choice.words}” is an image in the library; its style is transferred"
    if reading.note:
        explanation += f" ({reading.note})"
    if spec.op.inputs:
        explanation += f". {spec.op.label} needs more than words: paint the area on the image"
    if spec.op.needs_instruction:
        explanation = (f"“{spec.params.get('prompt', words)}”: no named operation does this; "
                       "the free-form editing model does it")
    return EditPlan(spec.operation, dict(spec.params), round(confidence, 3), explanation + ".")


def _unformable_notes(r: ClauseReading) -> list[str]:
    return [f"“{r.clause.text}” looks like {op}, but none of its settings matches it (the "
            "Operation menu lists them)." for op in r.unformable]


def _free_plan(st, original, readings, declined, not_understood) -> EditPlan:
    """Nothing named: a free-form edit of the whole instruction; when that is unsure and a
    named reading came close, the two are offered as choices."""
    note = " Not: " + ", ".join(declined) + " (you said not to)." if declined else ""
    note += "".join(" " + n for r in readings for n in _unformable_notes(r))
    named = [(r, x) for r in readings for x in r.readings if x.op != st.free]
    named.sort(key=lambda m: -m[1].score)
    free_scores = [x.score / max(sum(y.score for y in r.readings), 1e-9)
                   for r in readings for x in r.readings if x.op == st.free]
    confidence = min(FREE_MAX, max(free_scores) if free_scores else (0.3 if named else 0.5))
    if st.free is None:
        if not named:
            raise ValueError("Nothing matched and no free-form operation is registered.")
        r, x = named[0]
        return EditPlan(x.op, dict(x.spec.params), r.confidence,
                        _as_step(x, r.confidence).explanation + note)
    spec = operations.parse_spec(st.free)
    plan = EditPlan(spec.operation, {"prompt": original}, round(confidence, 3),
                    "No named operation matched; the instruction goes to the free-form editing "
                    "model as is." + note,
                    not_understood=tuple(t for t in not_understood if len(readings) > 1))
    if confidence < ASK_BELOW and named:
        r, x = named[0]
        alt = _as_step(x, x.score / max(sum(y.score for y in r.readings), 1e-9))
        return EditPlan(plan.operation, plan.params, plan.confidence, plan.explanation,
                        alternatives=(plan, alt), not_understood=plan.not_understood)
    return plan


def _with_choices(plan: EditPlan, steps, alternatives, confidence) -> EditPlan:
    if confidence >= ASK_BELOW:
        return plan
    weakest = min(range(len(steps)), key=lambda i: steps[i].confidence)
    alt = alternatives[weakest] if weakest < len(alternatives) else None
    if alt is None:
        return plan
    other_steps = list(steps)
    other_steps[weakest] = alt
    if len(other_steps) == 1:
        other = alt
    else:
        other = EditPlan("steps", {}, alt.confidence, " ".join(s.explanation for s in other_steps),
                         tuple(other_steps))
    if other.spec == plan.spec:
        return plan
    return EditPlan(plan.operation, plan.params, plan.confidence, plan.explanation, plan.parts,
                    (plan, other), plan.not_understood)
