"""Training the learned intent layer, and reading the corpus (``corpus/instructions/``).

Used by ``scripts/train_instructions.py`` (writes ``intent_model.json``), the benchmark and the
tests; never by a request. Pure Python: multinomial logistic regression trained with AdaGrad
on the single-operation phrasings of ``corpus/instructions/train/`` (and negations whose
result is one operation) plus the example phrasings the operations declare.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .. import operations
from .clauses import fragments, join_fragments
from .intent import FEATURES_VERSION, IntentModel
from .lexicon import Lexicon, vocabularies
from .looks import LookIndex
from .reading import observe
from .text import WORD, canonical, normalize, spell_out

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "instructions"
SINGLE = ("upscale", "winterize", "stylize", "removebg", "erase", "expand", "restore",
          "vintage", "edit")
EPOCHS, RATE, L2, MIN_COUNT, PRUNE, SEED = 16, 0.3, 1e-3, 2, 0.05, 13
# English words at least this frequent in pyspellchecker's list are never "corrected"
COMMON = 300
AUGMENT = True  # made-up removed things (see augment)


@dataclass(frozen=True)
class Example:
    text: str
    expected: tuple[str, ...]  # acceptable specs ("vintage", "stylize-18")
    source: str  # file name

    @property
    def label(self) -> str:
        return self.expected[0].split("|")[0].split("-")[0]


def read_corpus(split: str, names: tuple[str, ...] | None = None,
                root: Path = CORPUS) -> list[Example]:
    out = []
    for path in sorted((root / split).glob("*.txt")):
        if names is not None and path.stem not in names:
            continue
        for line in path.read_text().splitlines():
            if not line.strip() or line.startswith("#") or " => " not in line:
                continue
            text, expected = line.rsplit(" => ", 1)
            out.append(Example(text.strip(), tuple(e.strip() for e in expected.split(" or ")),
                               path.stem))
    return out


def training_examples() -> list[Example]:
    examples = read_corpus("train", SINGLE)
    examples += [e for e in read_corpus("train", ("negation",)) if "|" not in e.expected[0]]
    held_out = {e.text.lower() for e in read_corpus("test")}  # never train on these
    for op in operations.all_operations():
        vocab = vocabularies([op]).get(op.name)
        for text in (vocab.examples if vocab else ()):
            if text.lower() not in held_out:
                examples.append(Example(text, (op.name,), "vocabulary"))
    return examples


def digest() -> str:
    """What the shipped model was trained from: the training corpus, every vocabulary, the
    feature set and the hyper-parameters."""
    h = hashlib.sha256(f"{FEATURES_VERSION} {EPOCHS} {RATE} {L2} {MIN_COUNT} {PRUNE} {SEED} "
                       f"{COMMON} {AUGMENT}".encode())
    for path in sorted((CORPUS / "train").glob("*.txt")):
        h.update(path.name.encode() + path.read_bytes())
    vocabs = vocabularies(operations.all_operations())
    h.update(repr(sorted(vocabs.items())).encode())
    return h.hexdigest()


def known_words(examples: list[Example], vocabs) -> list[str]:
    """Words the router leaves alone: the corpus's (seen twice) and common English words that
    its typo correction would otherwise change ("stays" is not "strays", "love" not "lose"),
    from pyspellchecker's frequency list when it is installed (the dev extra)."""
    counts = Counter(w for e in examples for w in WORD.findall(spell_out(normalize(e.text)))
                     if w.isalpha())
    known = {w for w, n in counts.items() if n >= MIN_COUNT}
    try:
        from spellchecker import SpellChecker  # noqa: PLC0415 - optional (the dev extra)
    except ImportError:
        return sorted(known)
    speller = Lexicon(vocabs, known).speller
    for word, n in SpellChecker().word_frequency.dictionary.items():
        if n >= COMMON and word.isalpha() and speller.correct(word) != word:
            known.add(word)
    return sorted(known)


def pseudo_word(rng: random.Random) -> str:
    """A made-up noun ("tavorin"): the router cannot know it, like most things editors name."""
    return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou")
                   for _ in range(rng.randint(2, 3))) + rng.choice("nrlsk")


def augment(examples: list[Example], lexicon: Lexicon, rng: random.Random) -> list[Example]:
    """Copies of the phrasings that remove a named thing with the thing replaced by a made-up
    word, labelled the same: what editors remove is an open list ("zap the pylon")."""
    out = []
    for e in examples:
        if e.source not in ("erase", "removebg") or rng.random() < 0.5:
            continue
        clause = join_fragments(fragments(canonical(e.text, lexicon.speller), lexicon.known))
        things = [(a, b) for a, b, op, role in lexicon.matches(clause.tokens)
                  if role == "removes" and op == e.label]
        if not things or e.label != "erase":
            continue
        a, b = things[0]
        words = [t.word for t in clause.tokens]
        text = " ".join(words[:a] + [pseudo_word(rng)] + words[b:])
        out.append(Example(text, e.expected, "augmented"))
    return out


def featurize(text: str, lexicon: Lexicon, looks: dict[str, LookIndex]) -> list[str]:
    """The features of a whole instruction (one clause), as the router computes them."""
    clause = join_fragments(fragments(canonical(text, lexicon.speller), lexicon.known) or
                   fragments("nothing", lexicon.known))
    return observe(lexicon, looks, clause)[2]


def train(examples: list[Example], *, epochs: int = EPOCHS, seed: int = SEED,
          log=None) -> IntentModel:
    ops = operations.all_operations()
    vocabs = vocabularies(ops)
    known = known_words(examples, vocabs)
    lexicon = Lexicon(vocabs, known)
    looks = {name: LookIndex(v, lexicon.known) for name, v in vocabs.items() if v.looks}
    rng = random.Random(seed)
    examples = examples + (augment(examples, lexicon, rng) if AUGMENT else [])
    classes = sorted({e.label for e in examples})
    data = [(featurize(e.text, lexicon, looks), classes.index(e.label)) for e in examples]
    counts = Counter(f for feats, _ in data for f in set(feats))
    data = [([f for f in set(feats) if counts[f] >= MIN_COUNT or f[0] in "SWDOL"], y)
            for feats, y in data]
    k = len(classes)
    weights: dict[str, list[float]] = {}
    grads: dict[str, list[float]] = {}
    for epoch in range(epochs):
        rng.shuffle(data)
        loss = 0.0
        for feats, y in data:
            z = [0.0] * k
            for f in feats:
                w = weights.get(f)
                if w is not None:
                    for j in range(k):
                        z[j] += w[j]
            top = max(z)
            exp = [math.exp(v - top) for v in z]
            total = sum(exp)
            p = [e / total for e in exp]
            loss -= math.log(max(p[y], 1e-12))
            g = [p[j] - (j == y) for j in range(k)]
            for f in feats:
                w = weights.setdefault(f, [0.0] * k)
                acc = grads.setdefault(f, [1e-6] * k)
                for j in range(k):
                    gj = g[j] + L2 * w[j]
                    acc[j] += gj * gj
                    w[j] -= RATE * gj / math.sqrt(acc[j])
        if log:
            log(f"epoch {epoch + 1}: loss {loss / len(data):.4f}")
    sparse = {f: [[j, round(v, 2)] for j, v in enumerate(w) if abs(v) >= PRUNE]
              for f, w in weights.items()}
    return IntentModel(classes, {f: v for f, v in sparse.items() if v}, known)
