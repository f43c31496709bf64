"""What an instruction asks for: ``EditPlan`` (one or more steps, a confidence, the readings
the editor can choose between when it is unsure, what was not understood)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import operations
from ..conf import gan_settings


class InstructionError(ValueError):
    """An instruction that cannot be accepted (empty, too long); the message says why."""


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


@dataclass(frozen=True)
class EditPlan:
    """What an instruction asks for. A plan of several operations lists them in ``steps`` (in
    the order they run); a single-operation plan is its own one step.

    ``confidence`` (0..1) is the router's; below ``ASK_BELOW`` the plan carries
    ``alternatives`` (other readings, the best first being the plan itself) for the editor to
    choose from. ``not_understood`` lists parts of the instruction that were not understood
    (nothing is dropped silently)."""

    operation: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    confidence: float = 1.0
    explanation: str = ""
    parts: tuple[EditPlan, ...] = field(default=(), hash=False)
    alternatives: tuple[EditPlan, ...] = field(default=(), hash=False, compare=False)
    not_understood: tuple[str, ...] = ()

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

    @property
    def ambiguous(self) -> bool:
        """The router is unsure: the editor should pick one of ``alternatives``."""
        return len(self.alternatives) > 1

    def _step_dict(self, available) -> dict[str, Any]:
        out = {"operation": self.operation, "spec": self.spec, "label": self.label,
               "params": dict(self.params), "confidence": round(float(self.confidence), 2),
               "explanation": self.explanation}
        if available is not None:
            out["available"] = bool(available(operations.parse_spec(out["spec"])))
        return out

    def summary(self, available=None) -> dict[str, Any]:
        """A reading as the editor sees it (spec, label, confidence, steps), no alternatives.
        ``available(spec) -> bool``: also say whether each step, and the whole, can run."""
        steps = [step._step_dict(available) for step in self.steps]
        out = {
            "operation": self.operation,
            "spec": self.spec,
            "label": self.label,
            "params": dict(self.params),
            "confidence": round(float(self.confidence), 2),
            "explanation": self.explanation,
            "steps": steps,
        }
        if available is not None:
            out["available"] = all(step["available"] for step in steps)
        return out

    def as_dict(self, available=None) -> dict[str, Any]:
        """JSON: the plan's ``summary``, ``ambiguous``, the ``alternatives`` (summaries, the
        plan itself first), ``not_understood`` and, when ambiguous, a ``question``."""
        out = self.summary(available)
        out["ambiguous"] = self.ambiguous
        out["alternatives"] = [alt.summary(available) for alt in self.alternatives]
        out["not_understood"] = list(self.not_understood)
        if self.ambiguous:
            out["question"] = "Which did you mean: " + " or ".join(
                f"“{alt.label}”" for alt in self.alternatives) + "?"
        return out
