"""Natural-language instruction -> ``EditPlan`` (web tier, no ML imports).

``interpret("add some snow")`` returns ``EditPlan(operation="winterize", params={"strength":
50})``. Every registered operation brings its words (``Operation.vocabulary``, declared in its
module); clauses, negations, several steps, styles described in words and a learned intent
layer are handled here (see ``router``). What matches no operation is a free-form ``edit``
whose prompt is the instruction; an unsure plan offers its two best readings
(``EditPlan.alternatives``); parts that were not understood are listed
(``EditPlan.not_understood``).
"""

from __future__ import annotations

from .plan import EditPlan, InstructionError, clean_instruction
from .router import ASK_BELOW, MAX_STEPS, interpret, runnable
from .text import normalize

__all__ = ["ASK_BELOW", "MAX_STEPS", "EditPlan", "InstructionError", "clean_instruction",
           "interpret", "normalize", "runnable"]
