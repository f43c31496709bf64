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
    operation: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    confidence: float = 1.0
    explanation: str = ""

    @property
    def spec(self) -> str:
        """The canonical operation spec (``upscale-4x``, ``stylize-monet``, ``edit`` ...)."""
        return operations.get(self.operation).format(self.params)

    @property
    def label(self) -> str:
        """Short human description: "upscale 4x", "stylize like Monet", "edit: ..."."""
        return operations.get(self.operation).label_for(self.params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "spec": self.spec,
            "label": self.label,
            "params": dict(self.params),
            "confidence": round(float(self.confidence), 2),
            "explanation": self.explanation,
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
    clause = re.split(r"[,.;!?]| but | and then ", before)[-1]
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

    ``image_lookup(title) -> (image_id, title) | None`` resolves "in the style of <title>" to a
    library image (the admin passes one limited to images the editor may use).
    Raises ``InstructionError`` for empty or over-long text.
    """
    original = clean_instruction(text)
    norm = normalize(original)
    hits: list[EditPlan] = []

    # Stylize with a CycleGAN painter.
    for painter, pattern in PAINTER_PATTERNS.items():
        m = _first_positive(re.compile(pattern), norm)
        if m:
            hits.append(EditPlan(
                "stylize", {"painter": painter}, 0.9,
                f"“{m.group(0)}” names the painter style {PAINTERS[painter]}.",
            ))
            break

    # Stylize with one of the 26 built-in styles ("style 7") or a named one.
    if not hits:
        m = _first_positive(STYLE_INDEX_RE, norm)
        if m and 0 <= int(m.group(1)) < NUM_STYLES:
            hits.append(EditPlan(
                "stylize", {"styles": [int(m.group(1))]}, 0.9,
                f"“{m.group(0)}” picks built-in style {int(m.group(1))}.",
            ))
        else:
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
                m = _first_positive(named, norm.replace("-", " "))
                if m:
                    hits.append(EditPlan(
                        "stylize", {"styles": [idx]}, 0.85, f"“{name}” is built-in style {idx}."
                    ))
                    break

    # Stylize like another library image, by title.
    if not hits and image_lookup is not None:
        m = STYLE_OF_RE.search(norm)
        if m and not _negated(norm, m):
            title = m.group(1).strip(" \"'“”")
            found = image_lookup(title) if title else None
            if found:
                image_id, real_title = found
                hits.append(EditPlan(
                    "stylize", {"style_image": int(image_id), "style_image_title": real_title}, 0.85,
                    f"“{real_title}” is an image in the library; its style is transferred.",
                ))

    # Winter.
    if not hits:
        m = _first_positive(WINTER_RE, norm)
        if m:
            strength = 50 if LIGHT_RE.search(norm) else 100
            hits.append(EditPlan(
                "winterize", {"strength": strength}, 0.9,
                f"“{m.group(0)}” asks for a winter scene"
                + (" (a light touch: strength 50)." if strength < 100 else "."),
            ))

    # Upscale.
    if not hits:
        m = _first_positive(UPSCALE_RE, norm)
        if m:
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
            hits.append(EditPlan("upscale", {"scale": scale}, confidence, explanation + "."))

    if hits:
        return hits[0]
    return EditPlan(
        "edit", {"prompt": original}, 0.5,
        "No named operation matched; the instruction goes to the free-form editing model as is.",
    )
