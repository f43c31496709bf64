"""The learned intent layer: a linear model (multinomial logistic regression) over a clause's
words, word pairs, character n-grams and the lexicon's evidence, trained offline on the corpus
(``scripts/train_instructions.py``) and stored as ``intent_model.json`` beside this module.

Pure Python: a prediction is a sum of sparse weights and a softmax (well under a millisecond).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from .clauses import Clause

MODEL_PATH = Path(__file__).with_name("intent_model.json")
FEATURES_VERSION = 4
_SCOPE_PREFIX = {"": "w", "decline": "n", "keep": "n", "absence": "a", "source": "s",
                 "state": "s"}


def features(clause: Clause, evidence: dict, extra: tuple[str, ...] = (),
             known: frozenset[str] = frozenset()) -> list[str]:
    """The clause's features: ``w:<lemma>`` (``n:`` negated or kept, ``a:`` absent, ``s:``
    what a scene is turned from), ``b:<lemma>_<lemma>``, ``c:<3-4 letters>`` of words not in
    ``known``, the lexicon's
    ``S:/W:/D:/O:<op>`` (strong, weak, declined, opposite evidence) and ``extra``."""
    out = ["bias", *extra]
    lem = clause.lemmas
    for token in clause.tokens:
        out.append(f"{_SCOPE_PREFIX.get(token.scope, 'w')}:{token.lemma}")
        word = f"<{token.lemma}>"
        # character n-grams for words the router does not know (typos, rare words)
        if len(word) >= 5 and token.lemma.isalpha() and not (
                token.lemma in known and token.word in known):
            for n in (3, 4):
                out.extend(f"c:{word[i:i + n]}" for i in range(len(word) - n + 1))
    out.extend(f"b:{a}_{b}" for a, b in zip(lem, lem[1:], strict=False))
    if len(lem) <= 2:
        out.append("short")
    for op, ev in evidence.items():
        if ev.strong:
            out.append(f"S:{op}")
        if ev.weak:
            out.append(f"W:{op}")
        if ev.declined:
            out.append(f"D:{op}")
        if ev.opposite:
            out.append(f"O:{op}")
    return out


class IntentModel:
    def __init__(self, classes: list[str], weights: dict[str, list], known: list[str],
                 digest: str = ""):
        self.classes = classes
        self.weights = weights  # feature -> [[class index, weight], ...]
        self.known = known
        self.digest = digest

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> IntentModel:
        data = json.loads(path.read_text())
        return cls(data["classes"], data["weights"], data.get("known", []),
                   data.get("digest", ""))

    def to_json(self) -> str:
        return json.dumps({"version": FEATURES_VERSION, "digest": self.digest,
                           "classes": self.classes, "known": self.known,
                           "weights": self.weights}, separators=(",", ":"), sort_keys=True)

    def scores(self, feats: list[str]) -> list[float]:
        z = [0.0] * len(self.classes)
        for f in set(feats):
            for k, w in self.weights.get(f, ()):
                z[k] += w
        return z

    def predict(self, feats: list[str]) -> dict[str, float]:
        """{class: probability}."""
        z = self.scores(feats)
        top = max(z)
        exp = [math.exp(v - top) for v in z]
        total = sum(exp)
        return {c: e / total for c, e in zip(self.classes, exp, strict=True)}


@lru_cache(maxsize=1)
def default_model() -> IntentModel | None:
    """The shipped model, or None when the file is missing (rules alone then)."""
    try:
        return IntentModel.load()
    except (OSError, ValueError, KeyError):
        return None
