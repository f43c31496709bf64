"""``StrengthOperation``: the base of the ``<name>[-<strength 1..100>]`` operations (winterize,
restore ...): one model whose result the engine blends with the input by the spec's strength
(``winterize-70``: 70 %; no number: the full effect). Grammar, messages, labels, the editor's
strength and the form values are here once; a subclass declares its name, label, description,
an ``example`` strength for the error message and, optionally, ``title``."""

from __future__ import annotations

from typing import Any

from .base import InvalidSpec, Operation, OperationSpec, parse_int

FULL = 100


class StrengthOperation(Operation):
    filter = True
    # The editor's 0..1 strength becomes the spec's 1..100 (``with_strength``).
    strength = "spec"
    # The strength the error message suggests ("winterize-70").
    example: int = 70
    # How editors see a result ("winter", "winter (70 %)"); "" = the name.
    title: str = ""

    @property
    def synopsis(self) -> str:
        return f"{self.name}[-<strength 1..{FULL}>]"

    def grammar(self):
        return [self.name, f"{self.name}-<1..{FULL}>"]

    def parse(self, args):
        if not args:
            return self.spec({"strength": FULL})
        strength = parse_int(args[0], 1, FULL) if len(args) == 1 else None
        if strength is None:
            raise InvalidSpec(f"{self.name} takes an optional strength 1..{FULL}, "
                              f"e.g. {self.name}-{self.example}")
        return self.spec({"strength": strength})

    @staticmethod
    def _strength(params: dict[str, Any]) -> int:
        return int(params.get("strength", FULL))

    def format(self, params):
        strength = self._strength(params)
        return self.name if strength == FULL else f"{self.name}-{strength}"

    def _worded(self, word: str, params: dict[str, Any]) -> str:
        strength = self._strength(params)
        return word if strength == FULL else f"{word} ({strength} %)"

    def label_for(self, params):
        return self._worded(self.name, params)

    def title_for(self, params):
        return self._worded(self.title or self.name, params)

    def with_strength(self, spec: OperationSpec, strength: float) -> OperationSpec:
        # The spec's own strength, 1..100: the one place it is clamped.
        return self.spec({"strength": max(1, min(FULL, round(strength * FULL)))})

    def form_values(self, spec: OperationSpec):
        strength = spec.params.get("strength", FULL)
        return {"operation": self.name, "strength": "" if strength == FULL else strength}
