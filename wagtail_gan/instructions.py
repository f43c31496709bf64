"""Natural-language instruction -> ``EditPlan`` (web tier, no ML imports).

``interpret("add some snow")`` returns ``EditPlan(operation="winterize", params={"strength": 100})``.
Clear requests map to the named operations (upscale, winterize, stylize); everything else is
a free-form ``edit`` whose prompt is the instruction itself (InstructPix2Pix on the worker).

Rules and synonyms only: it runs in the web process and needs no model. Negated requests
("don't upscale", "remove the snow", "no winter") never trigger the named operation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import operations
from .conf import gan_settings
from .operations.stylize import NUM_STYLES, PAINTERS, STYLE_NAMES


class InstructionError(ValueError):
    """An instruction that cannot be accepted (empty, too long); the message says why."""


@dataclass(frozen=True)
class EditPlan:
    """What an instruction asks for. A plan of several operations lists them in ``steps`` (in
    the order they run); a single-operation plan is its own one step."""

    operation: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    confidence: float = 1.0
    explanation: str = ""
    parts: tuple[EditPlan, ...] = field(default=(), hash=False)

    @property
    def steps(self) -> tuple[EditPlan, ...]:
        return self.parts or (self,)

    @property
    def spec(self) -> str:
        """The canonical spec (``upscale-4x``, ``stylize-monet``, ``edit``); several steps are
        joined with ``|`` as in Wagtail's filter specs (``stylize-7|upscale-4x``)."""
        if self.parts:
            return "|".join(step.spec for step in self.parts)
        return operations.get(self.operation).format(self.params)

    @property
    def label(self) -> str:
        """Short human description: "upscale 4x", "stylize like Monet, then upscale 4x"."""
        if self.parts:
            return ", then ".join(step.label for step in self.parts)
        return operations.get(self.operation).label_for(self.params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "spec": self.spec,
            "label": self.label,
            "params": dict(self.params),
            "confidence": round(float(self.confidence), 2),
            "explanation": self.explanation,
            "steps": [
                {"operation": step.operation, "spec": step.spec, "label": step.label,
                 "params": dict(step.params)}
                for step in self.steps
            ],
        }


PAINTER_PATTERNS = {
    "monet": r"monet|impressionis[mt]\w*|water ?lil(?:y|ies)",
    "vangogh": r"van ?gogh|vangogh|\bgogh\b|starry night",
    "cezanne": r"cezanne|post-?impressionis[mt]\w*",
    "ukiyoe": r"ukiyo[- ]?e|hokusai|hiroshige|japanese (?:wood ?block|print)\w*|wood ?block print\w*",
}

UPSCALE_RE = re.compile(
    r"\b(?:up-?scal\w*|up-?sampl\w*|upres\w*|enlarg\w*|magnif\w*|super[- ]?res\w*|"
    r"blow (?:it |this |the image |the photo )?up|"
    r"(?:increase|raise|boost|improve|enhance|double|quadruple|higher|more)\b[\w ]{0,20}?\bresolution|"
    r"(?:high|higher|hi)[- ]?res\w*|"
    r"(?:make|made|get|turn)\b[\w ]{0,20}?\b(?:bigger|larger)|"
    r"(?:bigger|larger) (?:version|copy|size)|"
    r"(?:twice|double|two times|four times|2x|4x) (?:as )?(?:big|large|wide|the size)|"
    r"scale (?:it |this |the image |the photo )?up|"
    r"(?:2|4|two|four)[- ]?(?:x|×|times)\b(?: (?:bigger|larger|the size|resolution))?)"
)
WINTER_RE = re.compile(
    r"\b(?:winter\w*|wintry|wintery|snow\w*|blizzard|frost\w*|icy|frozen|freez\w*|"
    r"ice[- ]covered|december|christmassy|yuletide|sub-?zero)\b"
)
STYLE_INDEX_RE = re.compile(r"\b(?:style|preset|filter)\s*(?:number|no\.?|#)?\s*(\d{1,3})\b")
STYLE_OF_RE = re.compile(
    r"(?:in the (?:style|manner) of|styled? (?:like|after|as)|(?:paint\w*|render\w*|look\w*|make it look) like"
    r"|à la|a la)\s+(?:the\s+)?(?:image\s+|photo\s+|picture\s+)?[\"“'‘]?(.+?)[\"”'’]?\s*[.!]?$"
)
NEGATION_RE = re.compile(
    r"\b(?:no|not|don'?t|do not|never|without|remove|removing|get rid of|less|stop|avoid|"
    r"instead of|rather than|undo|reduce|melt|clear (?:away|off)?|take (?:away|out|off))\b"
)
DOUBLE_RE = re.compile(r"\b(?:2|two)\s*(?:x|×|times)|\b(?:double|twice|x2)\b")
QUAD_RE = re.compile(r"\b(?:4|four)\s*(?:x|×|times)|\b(?:quadruple|x4)\b")
OTHER_SCALE_RE = re.compile(r"\b(3|[5-9]|1[0-6])\s*(?:x|×|times)\b|\bx(3|[5-9])\b")
LIGHT_RE = re.compile(
    r"\b(?:a (?:little|bit)(?: of)?|slight\w*|light\w*|dusting|subtle\w*|some|touch of|hint of|gentl\w*)\b"
)


def normalize(text: str) -> str:
    """Lowercase, strip accents and control characters, collapse whitespace."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = text.replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text).strip().lower()


def clean_instruction(text: str | None) -> str:
    """Validate an instruction: returns it stripped; raises InstructionError if empty/too long."""
    if text is None or not str(text).strip():
        raise InstructionError("Describe the edit you want, e.g. “add snow” or “upscale 4x”.")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in str(text)).strip()
    limit = int(gan_settings.MAX_INSTRUCTION_LENGTH)
    if len(text) > limit:
        raise InstructionError(
            f"The instruction is {len(text)} characters long; the limit is {limit}."
        )
    return text


def _negated(norm: str, match: re.Match) -> bool:
    """True when a negation word appears in the same clause, up to 6 words before the match."""
    before = norm[: match.start()]
    clause = re.split(r"[,.;!?]| but | and | then ", before)[-1]
    window = " ".join(clause.split()[-6:])
    return bool(NEGATION_RE.search(window))


def _first_positive(regex: re.Pattern, norm: str) -> re.Match | None:
    for m in regex.finditer(norm):
        if not _negated(norm, m):
            return m
    return None


def interpret(
    text: str,
    *,
    image_lookup: Callable[[str], tuple[int, str] | None] | None = None,
) -> EditPlan:
    """Map an editor's instruction to an ``EditPlan``.

    Every named operation the text asks for (and does not negate) becomes a step: "remove the
    background and upscale 4x" is two steps. Anything else is a free-form ``edit`` whose
    prompt is the instruction. ``image_lookup(title) -> (image_id, title) | None`` resolves
    "in the style of <title>" to a library image (the admin passes one limited to images the
    editor may use). Raises ``InstructionError`` for empty or over-long text.
    """
    original = clean_instruction(text)
    norm = normalize(original)
    found = [hit for rule in RULES if (hit := rule(norm, image_lookup)) is not None]
    if not found:
        return EditPlan(
            "edit", {"prompt": original}, 0.5,
            "No named operation matched; the instruction goes to the free-form editing model "
            "as is.",
        )
    found.sort(key=lambda hit: hit[0])  # the order the text asks for them
    steps = [plan for _pos, plan in found]
    if len(steps) == 1:
        return steps[0]
    note = ""
    if any(step.operation == "upscale" for step in steps[:-1]):
        # Cheaper, same look: the other steps work on the small image.
        steps = [s for s in steps if s.operation != "upscale"] + [
            s for s in steps if s.operation == "upscale"]
        note = " Upscaling runs last: the other steps then work on the smaller image (faster)."
    return EditPlan(
        "steps", {}, min(step.confidence for step in steps),
        " ".join(step.explanation for step in steps) + note, tuple(steps[:MAX_STEPS]),
    )


MAX_STEPS = 4


def _stylize(norm: str, image_lookup) -> tuple[int, EditPlan] | None:
    """A CycleGAN painter, one of the 26 built-in styles, or the style of a library image."""
    for painter, pattern in PAINTER_PATTERNS.items():
        m = _first_positive(re.compile(pattern), norm)
        if m:
            return m.start(), EditPlan(
                "stylize", {"painter": painter}, 0.9,
                f"“{m.group(0)}” names the painter style {PAINTERS[painter]}.",
            )
    m = _first_positive(STYLE_INDEX_RE, norm)
    if m and 0 <= int(m.group(1)) < NUM_STYLES:
        return m.start(), EditPlan(
            "stylize", {"styles": [int(m.group(1))]}, 0.9,
            f"“{m.group(0)}” picks built-in style {int(m.group(1))}.",
        )
    if not m:
        dashless = norm.replace("-", " ")
        for idx, name in sorted(STYLE_NAMES.items()):
            # Style names are ordinary words ("bricks", "ink", "dusk"): only with "style",
            # "preset", "filter" or "look" next to them ("the ink style", "style: sepia").
            word = re.escape(name.replace("-", " "))
            named = re.compile(
                rf"\b(?:style|preset|filter)\s*(?:called |named |:\s*)?[\"']?{word}\b"
                rf"|\b{word}[\"']?\s+(?:style|preset|filter|look|effect)\b"
                # "turn it into a sketch", "make it into a mosaic"
                rf"|\binto an? {word}\b"
            )
            m = _first_positive(named, dashless)
            if m:
                return m.start(), EditPlan(
                    "stylize", {"styles": [idx]}, 0.85, f"“{name}” is built-in style {idx}."
                )
    if image_lookup is not None:
        m = STYLE_OF_RE.search(norm)
        if m and not _negated(norm, m):
            title = m.group(1).strip(" \"'“”")
            found = image_lookup(title) if title else None
            if found:
                image_id, real_title = found
                return m.start(), EditPlan(
                    "stylize", {"style_image": int(image_id), "style_image_title": real_title},
                    0.85, f"“{real_title}” is an image in the library; its style is transferred.",
                )
    return None


def _winterize(norm: str, image_lookup) -> tuple[int, EditPlan] | None:
    m = _first_positive(WINTER_RE, norm)
    if not m:
        return None
    strength = 50 if LIGHT_RE.search(norm) else 100
    return m.start(), EditPlan(
        "winterize", {"strength": strength}, 0.9,
        f"“{m.group(0)}” asks for a winter scene"
        + (" (a light touch: strength 50)." if strength < 100 else "."),
    )


def _upscale(norm: str, image_lookup) -> tuple[int, EditPlan] | None:
    m = _first_positive(UPSCALE_RE, norm)
    if not m:
        return None
    explanation = f"“{m.group(0).strip()}” asks for a larger image"
    confidence = 0.9
    if DOUBLE_RE.search(norm):
        scale = 2
    elif QUAD_RE.search(norm):
        scale = 4
    elif OTHER_SCALE_RE.search(norm):
        scale = 4
        confidence = 0.6
        explanation += "; only 2x and 4x exist, so 4x"
    else:
        scale = 4
        explanation += " (4x by default)"
    return m.start(), EditPlan("upscale", {"scale": scale}, confidence, explanation + ".")


def _spec_rule(regex: re.Pattern, specs, explain: str, confidence: float = 0.85):
    """A rule for an operation that may or may not be installed as a module of the registry:
    the first of ``specs(match, norm)`` that parses wins; none (the operation is not
    registered here) means no step."""

    def rule(norm: str, image_lookup) -> tuple[int, EditPlan] | None:
        m = _first_positive(regex, norm)
        if not m:
            return None
        for text in specs(m, norm):
            try:
                spec = operations.parse_spec(text)
            except operations.InvalidSpec:
                continue
            return m.start(), EditPlan(spec.operation, dict(spec.params), confidence,
                                       explain.format(match=m.group(0).strip()))
        return None

    return rule


def _aspect(match, norm: str) -> list[str]:
    ratio = ASPECT_RE.search(norm)
    if ratio:
        return [f"expand-{ratio.group(1)}x{ratio.group(2)}"]
    if "square" in norm:
        return ["expand-square"]
    if re.search(r"\btaller\b|\bportrait\b|\bvertical\b", norm):
        return ["expand-9x16", "expand-3x4"]
    if re.search(r"\bwider\b|\bwiden\b|\blandscape\b|\bpanoram", norm):
        return ["expand-16x9"]
    # "zoom out", "fill in the surroundings": a border all round
    return ["expand-left256-top256-right256-bottom256", "expand-16x9"]


REMOVEBG_RE = re.compile(
    r"\b(?:remove|cut out|drop|delete|strip|erase|get rid of|lose)\b[\w ]{0,20}?\bbackground\b"
    r"|\b(?:transparent|clear|no|without an?|without the) background\b"
    r"|\bbackground (?:transparent|see-through|removed|gone)\b"
    r"|\bbackground remov\w*|\bcut(?:-| )?out (?:the |this )?(?:product|subject|person|object)\b"
    r"|\bisolate (?:the |this )?(?:product|subject|person|object)\b"
)
ERASE_RE = re.compile(
    r"\b(?:erase|remove|delete|get rid of|take out|clean up|retouch out)\b[\w ]{0,30}?"
    r"\b(?:power ?lines?|wires?|cables?|people|person|tourists?|passers?-?by|text|caption|"
    r"watermarks?|logos?|objects?|blemish\w*|spots?|photobomb\w*|signs?|litter|trash|cars?)\b"
)
RESTORE_RE = re.compile(
    r"\brestor\w*|\bdenois\w*|\bdeblur\w*|\bold (?:photo|picture|scan)\b"
    r"|\b(?:fix|repair|remove|reduce|clean up|get rid of)\b[\w ]{0,20}?"
    r"\b(?:jpe?g|compression|artefacts?|artifacts?|noise|grain\w*|scratch\w*|blur\w*)\b"
)
EXPAND_RE = re.compile(
    r"\b(?:expand|extend|outpaint\w*|widen|uncrop|zoom(?:ed)? out)\b"
    r"|\bmake (?:it|this|the image|the photo|the picture) (?:wider|taller|square)\b"
    r"|\bfill in (?:the )?(?:surroundings|edges|sides)\b"
)
ASPECT_RE = re.compile(r"\b(\d{1,2})\s*[:x×/]\s*(\d{1,2})\b")

# Order: which rule wins when two match the same words does not matter (steps are ordered by
# where the text names them); erase and removebg both see "remove": erase needs an object.
RULES = [
    _stylize,
    _winterize,
    _upscale,
    _spec_rule(REMOVEBG_RE, lambda m, n: ["removebg"],
               "“{match}” asks for the background to be removed.", 0.9),
    _spec_rule(ERASE_RE, lambda m, n: ["erase"],
               "“{match}” asks to erase something: paint the area to erase on the image.", 0.8),
    _spec_rule(RESTORE_RE, lambda m, n: ["restore"],
               "“{match}” asks for a restoration (noise, JPEG artefacts, blur).", 0.85),
    _spec_rule(EXPAND_RE, _aspect, "“{match}” asks for a larger canvas, filled in by the model.",
               0.8),
]
