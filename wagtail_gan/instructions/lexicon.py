"""The router's words, derived from the operations' vocabularies (``Operation.vocabulary``),
and the evidence a clause gives for each operation.

Evidence per operation: ``strong`` (a word, a construction, "remove the <thing it removes>",
"add <what it adds>", a look it names), ``weak`` (a hint, a parameter alone such as "2x"),
``declined`` (negated, kept: "don't upscale", "keep the background") and ``opposite``
("remove the snow", "less wintry": the opposite of what it adds).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..operations.vocabulary import Look, Vocabulary
from .clauses import Clause, Token
from .text import WORD, Speller, lemmas

# "{it}" in a pattern: what editors call the picture.
IT = (r"(?:it|this|that|them|everything|the (?:whole )?(?:image|photo|picture|pic|shot|"
      r"photograph|file|thing|one)|this (?:image|photo|picture|pic|shot|photograph|one))")


def _inflections(word: str) -> set[str]:
    """``word`` and its usual endings, for typo correction ("snowy" from "snow")."""
    out = {word, word + "s", word + "es", word + "y", word + "ed", word + "ing"}
    if word.endswith("e"):
        out |= {word[:-1] + "ing", word[:-1] + "y", word + "d"}
    elif len(word) > 2 and word[-1] not in "aeiouwxy" and word[-2] in "aeiou":
        out |= {word + word[-1] + "y", word + word[-1] + "ed", word + word[-1] + "ing"}
    return out


# Verbs (dictionary forms) that take something away: "<verb> the <thing>" asks for the
# operation that removes it and against the one that adds it.
REMOVAL = """remove erase delete rid take out take away take off strip clear clean out clean up
drop lose ditch eliminate cut out cut away kill nuke zap scrub wipe hide cover up fix repair
reduce less lessen few minimize minimise lower decrease tone down melt defrost thaw disappear
vanish go away gone get out empty declutter""".replace("\n", " ")
_REMOVAL_OUT = re.compile(
    r"\b(?:photoshop\w*|edit\w*|paint\w*|clone\w*|brush\w*|airbrush\w*|retouch\w*|crop\w*|"
    r"blank\w*|mask\w*|knock\w*|take|took|taking|get|got|getting|cut\w*|wipe\w*|scrub\w*)"
    r"\b(?: \w+){0,4} out\b"
    r"|\b(?:take|took|taking|wipe\w*|airbrush\w*|clone\w*|brush\w*|get|send)\b(?: \w+){0,4} away\b"
    r"|\b(?:take|took|taking|clean\w*|wipe\w*|scrub\w*|peel\w*|strip\w*|brush\w*|get)\b"
    r"(?: \w+){0,4} off\b"
    r"|\b(?:has|have|needs?|must|should|gotta|got) (?:to )?go\b")
ADDING = frozenset("add put give sprinkle cover apply make turn bring with more".split())


def _phrases(items: Iterable[str], known) -> list[tuple[str, ...]]:
    out = []
    for item in items:
        words = WORD.findall(item.lower().replace("-", " "))
        if words:
            out.append(tuple(lemmas(words, known)))
    return out


@dataclass
class Entry:
    op: str
    vocab: Vocabulary
    patterns: list[re.Pattern] = field(default_factory=list)
    args: list[tuple[re.Pattern, str, str]] = field(default_factory=list)


@dataclass
class Evidence:
    strong: list[tuple[int, str]] = field(default_factory=list)  # (token index, words)
    weak: list[tuple[int, str]] = field(default_factory=list)
    declined: list[str] = field(default_factory=list)
    opposite: list[str] = field(default_factory=list)
    # token indices of the things named (removes, adds, looks, parameters alone): two
    # operations with things of their own in one clause are two steps
    objects: list[int] = field(default_factory=list)

    @property
    def positive(self) -> bool:
        return bool(self.strong or self.weak)

    @property
    def first(self) -> int:
        return min((i for i, _ in self.strong + self.weak), default=10**6)


class Lexicon:
    """Everything the router matches, compiled from ``{op name: Vocabulary}``."""

    def __init__(self, vocabularies: dict[str, Vocabulary], extra_known: Iterable[str] = ()):
        self.entries = {name: Entry(name, v) for name, v in vocabularies.items()}
        words: set[str] = set(REMOVAL.split())  # the vocabulary's own words: typo targets
        multi: set[str] = set()
        for v in vocabularies.values():
            for item in _all_words(v):
                found = WORD.findall(item.lower().replace("-", " "))
                words.update(w for w in found if w.isalpha())
                if len(found) > 1:
                    multi.add(" ".join(found))
        surface = set(words) | set(extra_known)
        for v in vocabularies.values():
            for pattern in v.patterns + tuple(a[0] for a in v.args):
                surface.update(re.findall(r"[a-z]{4,}", re.sub(r"\\[a-zA-Z]", " ", pattern)))
        # lemmas of the vocabulary's words are known too ("wire" for "wires")
        self.known = frozenset(surface)
        self.known = self.known | frozenset(lemmas(sorted(self.known), self.known))
        self.speller = Speller(self.known, {i for w in words for i in _inflections(w)}, multi)
        self.index: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        for name, v in vocabularies.items():
            for role in ("words", "hints", "removes", "adds"):
                for phrase in _phrases(getattr(v, role), self.known):
                    self.index.setdefault(phrase[0], []).append((phrase, name, role))
            entry = self.entries[name]
            entry.patterns = [_compile(p, name) for p in v.patterns]
            entry.args = [(_compile(a[0], name), a[1], a[2] if len(a) > 2 else "")
                          for a in v.args]
        self.removal: dict[str, list[tuple[str, ...]]] = {}
        for phrase in _split_removal(REMOVAL):
            lemma_phrase = tuple(lemmas(phrase.split(), self.known))
            self.removal.setdefault(lemma_phrase[0], []).append(lemma_phrase)
        for entries in self.index.values():
            entries.sort(key=lambda e: -len(e[0]))

    # -- matching --------------------------------------------------------------------------
    def matches(self, tokens: list[Token]) -> list[tuple[int, int, str, str]]:
        """(start, end, op, role) for the vocabulary phrases in ``tokens``, longest first."""
        lem = [t.lemma for t in tokens]
        out = []
        i = 0
        while i < len(lem):
            best = 0
            for phrase, op, role in self.index.get(lem[i], ()):
                n = len(phrase)
                if n < best:
                    break
                if tuple(lem[i:i + n]) == phrase:
                    best = n
                    out.append((i, i + n, op, role))
            i += max(best, 1)
        return out

    def removal_at(self, clause: Clause) -> list[tuple[int, str]]:
        """(token index, scope) of the removal verbs in the clause."""
        lem = clause.lemmas
        found = []
        for i, lm in enumerate(lem):
            for phrase in self.removal.get(lm, ()):
                if tuple(lem[i:i + len(phrase)]) == phrase:
                    found.append((i, clause.tokens[i].scope))
                    break
        m = _REMOVAL_OUT.search(clause.text)
        if m and lem:
            i = min(len(WORD.findall(clause.text[:m.start()])), len(lem) - 1)
            found.append((i, clause.tokens[i].scope))
        return found

    def evidence(self, clause: Clause) -> dict[str, Evidence]:
        ev = {name: Evidence() for name in self.entries}
        removal = self.removal_at(clause)
        removing = any(s != "source" for _i, s in removal)
        for start, end, op, role in _heads(self.matches(clause.tokens), clause.lemmas):
            scope = clause.tokens[start].scope
            words = " ".join(t.word for t in clause.tokens[start:end])
            e = ev[op]
            if scope == "source" or (scope == "state" and role == "adds"):
                continue  # "turn this winter scene ...", "it's winter, make it ...": not asked
            if role == "removes" and scope == "decline" and start and (
                    clause.tokens[start - 1].lemma in ("not", "no")
                    and clause.tokens[start].word != clause.tokens[start].lemma):
                scope = "absence"  # "so it's not grainy": no grain wanted
            if scope == "state":
                scope = ""  # "it's blurry": a defect to fix
            if role == "removes":
                if scope in ("decline", "keep"):
                    e.declined.append(words)
                elif removing or scope == "absence":
                    e.strong.append((start, words))
                    e.objects.append(start)
            elif role == "adds":
                if scope in ("decline", "keep", "absence"):
                    e.declined.append(words)
                elif removing:
                    e.opposite.append(words)
                else:
                    e.strong.append((start, words))
                    e.objects.append(start)
            elif scope in ("decline", "keep", "absence"):
                e.declined.append(words)
            else:
                (e.strong if role == "words" else e.weak).append((start, words))
        claimed = any(e.objects or e.opposite for e in ev.values())
        active = [i for i, scope in removal if scope in ("", "absence")]
        if active and not claimed:
            # "zap the pylon": a thing no operation names, removed
            i = next((j for j in range(active[0] + 1, len(clause.tokens))
                      if clause.tokens[j].lemma not in _DETERMINERS), None)
            for name, entry in self.entries.items():
                if entry.vocab.removes_anything and i is not None:
                    ev[name].weak.append((i, clause.tokens[i].word))
                    ev[name].objects.append(i)
        for name, entry in self.entries.items():
            for pattern in entry.patterns:
                for m in pattern.finditer(clause.text):
                    i = _token_at(clause, m.start())
                    if clause.tokens and clause.tokens[i].scope in ("decline", "keep"):
                        ev[name].declined.append(m.group(0))
                    elif not clause.tokens or clause.tokens[i].scope != "source":
                        ev[name].strong.append((i, m.group(0)))
        return ev

    def arg_candidates(self, op: str, text: str) -> list[tuple[str, str, str]]:
        """(spec argument, matched words, note) of the op's ``args`` found in ``text``."""
        out = []
        for pattern, arg, note in self.entries[op].args:
            for m in pattern.finditer(text):
                value = arg
                for g, v in enumerate(m.groups(), 1):
                    value = value.replace(f"{{{g}}}", v or "")
                out.append((value, m.group(0).strip(), note))
        return out


_DETERMINERS = frozenset("the a an this that these those his her their my our your its some "
                         "all any out away off up of".split())
_PREPOSITIONS = frozenset("in on at behind around near from of by under over above below across "
                          "beside next with inside outside".split())


def _heads(matches, lem: list[str]):
    """Drop the things that only describe another: "the *cluttered* background" (a modifier
    right before another thing), "the people in *the background*" (after a preposition)."""
    things = [m for m in matches if m[3] == "removes"]
    drop = set()
    for a, b in zip(things, things[1:], strict=False):
        between = lem[a[1]:b[0]]
        if any(w in ("and", "or", "but", "then") for w in between):
            continue
        if len(between) <= 1 and a[2] != b[2]:
            drop.add(a)
        elif any(w in _PREPOSITIONS for w in between):
            drop.add(b)
    return [m for m in matches if m not in drop]


def _token_at(clause: Clause, pos: int) -> int:
    n = len(WORD.findall(clause.text[:pos]))
    return max(0, min(n, len(clause.tokens) - 1))


def _compile(pattern: str, name: str) -> re.Pattern:
    return re.compile(pattern.replace("{it}", IT).replace("{name}", re.escape(name)))


def _split_removal(text: str) -> list[str]:
    two = ("take out", "take away", "take off", "clean out", "clean up", "cut out", "cut away",
           "cover up", "tone down", "go away", "get out")
    words = text.split()
    out, i = [], 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        if pair in two:
            out.append(pair)
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


def _all_words(v: Vocabulary) -> list[str]:
    items = list(v.words + v.hints + v.removes + v.adds)
    for look in v.looks:
        items += list(look.names + look.styled + look.words)
    return items


def vocabularies(operations: Iterable) -> dict[str, Vocabulary]:
    """``{name: Vocabulary}`` of the registered operations: their own (a ``Vocabulary``; a
    dict of its fields or a list of words are accepted too); an operation without one is
    only reachable by its spec."""
    out = {}
    for op in operations:
        vocab = getattr(op, "vocabulary", None)
        if isinstance(vocab, dict):
            vocab = Vocabulary(**vocab)
        elif isinstance(vocab, (list, tuple)) and all(isinstance(w, str) for w in vocab):
            vocab = Vocabulary(words=tuple(vocab)) if vocab else None
        if isinstance(vocab, Vocabulary):
            out[op.name] = vocab
    return out


__all__ = ["Evidence", "Lexicon", "Look", "vocabularies"]
