"""Choosing a look (stylize's styles and painters) from what the editor wrote.

In order: a look named on its own ("Hokusai", "pop art"), a style name beside a style word
("the ink style", "turn it into a woodcut"), then a described look: the look whose descriptive
words ("crayon", "stained glass", "moody dark green") weigh most, rarer words weighing more.
A description needs a style word nearby ("look", "style", "feel", "like a", "in crayon") so
that "turn the car red" stays a free-form edit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..operations.vocabulary import Look, Vocabulary
from .clauses import Clause
from .text import WORD, lemmas

FRAME = re.compile(
    r"\b(?:style[sd]?|stylize|look|looks|looking|feel|vibe|aesthetic|effect|filter|finish|"
    r"treatment|render\w*|paint\w*|drawn|drawing|done in|manner|like an?|like it|as an?|"
    r"into an?|as if|as though|\w+esque|\w+ish|inspired|version|art|tones?|colou?rs|palette|"
    r"hues|shades)\b")
# Verbs of a content edit: an unframed description after them is not a look ("add fire").
_CONTENT_VERBS = frozenset("add put place insert include remove erase replace change".split())
_STYLED = (r"(?:style|preset|filter|look|effect)s?\s*(?:called |named |: ?|= ?)?{w}\b"
           r"|\b{w}[- ](?:style|preset|filter|look|effect|feel|vibe|aesthetic|one)s?\b"
           r"|\b(?:into|as) an? {w}\b|\b{w} and \w+ (?:styles|presets|looks)\b|\bin {w}\b"
           r"|^{w}$")
_REFERENCE = re.compile(
    r"(?:in the (?:style|manner) of|styled? (?:like|after|as)|(?:paint\w*|render\w*|look\w*|"
    r"make it look) like|a la)\s+(?:the\s+)?(?:image\s+|photo\s+|picture\s+)?")
PLACEHOLDER = "ref1image"
DISTINCT = 3.0  # the weight of a descriptive word that only one look has
BLEND = re.compile(r"\b(?:blend\w*|mix\w*|combin\w*|half|cross|merge\w*|together|and)\b")


@dataclass
class Choice:
    arg: str
    look: Look | None
    words: str  # what the editor wrote that chose it
    confidence: float
    described: bool = False
    runner_up: tuple[str, str] | None = None  # (arg, words) of the next-nearest look
    position: int = -1  # token index of the words
    # a description by words that belong to this look only ("crayon", "stained glass"): as
    # good as its name
    distinct: bool = False


class LookIndex:
    """The looks of one operation, compiled."""

    def __init__(self, vocab: Vocabulary, known: frozenset[str]):
        self.looks = vocab.looks
        self.names = []
        self.words = []
        self.styled: dict[str, list[tuple[int, re.Pattern]]] = {}  # first word -> patterns
        self.first: dict[str, list[tuple[tuple[str, ...], int, str]]] = {}
        df: dict[tuple[str, ...], int] = {}
        for k, look in enumerate(self.looks):
            names = {tuple(lemmas(WORD.findall(n.replace("-", " ")), known))
                     for n in look.names}
            phrases = {tuple(lemmas(WORD.findall(w.replace("-", " ")), known))
                       for w in look.words}
            self.words.append(phrases)
            for kind, group in (("name", names), ("word", phrases)):
                for p in group:
                    if p:
                        self.first.setdefault(p[0], []).append((p, k, kind))
            for p in phrases:
                df[p] = df.get(p, 0) + 1
            for w in look.styled:
                self.styled.setdefault(w.split()[0], []).append(
                    (k, re.compile(_STYLED.replace("{w}", re.escape(w)))))
        n = max(1, len(self.looks))
        self.idf = {p: math.log(1 + n / c) * (1 + 0.5 * (len(p) - 1)) for p, c in df.items()}

    def _found(self, clause: Clause):
        """(position, look, phrase, kind) of the names and words in the clause."""
        lem = clause.lemmas
        out = []
        for i, lm in enumerate(lem):
            for phrase, k, kind in self.first.get(lm, ()):
                if tuple(lem[i:i + len(phrase)]) == phrase:
                    out.append((i, k, phrase, kind))
        return out

    def choose(self, clause: Clause) -> Choice | None:
        lem = clause.lemmas
        ok = [t.scope not in ("decline", "keep", "source", "absence", "state")
              for t in clause.tokens]
        found = self._found(clause)
        explicit: list[tuple[int, int, str]] = []  # (position, look index, words)
        for i, k, phrase, kind in found:
            if kind == "name" and ok[i]:
                explicit.append((i, k, " ".join(clause.tokens[j].word
                                                for j in range(i, i + len(phrase)))))
        words = {t.word for t in clause.tokens}
        for word in words & self.styled.keys():
            for k, pattern in self.styled[word]:
                for m in pattern.finditer(clause.text):
                    i = len(WORD.findall(clause.text[:m.start()]))
                    if i >= len(ok) or ok[i]:
                        explicit.append((i, k, m.group(0).strip()))
        if explicit:
            explicit.sort(key=lambda e: (e[0], -len(e[2]), e[1]))  # longest name first
            seen: list[tuple[int, str]] = []
            for _i, k, said in explicit:
                if k not in [s[0] for s in seen]:
                    seen.append((k, said))
            args = [self.looks[k].arg for k, _ in seen]
            position = explicit[0][0]
            if len(seen) > 1 and all(a.isdigit() for a in args) and BLEND.search(clause.text):
                return Choice("-".join(args), None, " + ".join(w for _, w in seen), 0.9,
                              position=position)
            k, said = seen[0]
            return Choice(self.looks[k].arg, self.looks[k], said, 0.95, position=position)
        framed = bool(FRAME.search(clause.text))
        content_verb = any(t in _CONTENT_VERBS for t in lem)
        unframed: list[tuple[int, tuple[str, ...], str]] = []
        where: dict[int, int] = {}  # look -> first token of its words
        score: dict[int, float] = {}
        hits: dict[int, list[str]] = {}
        counted: set[tuple[int, tuple[str, ...]]] = set()
        for i, k, phrase, kind in found:
            if kind != "word" or not ok[i] or (k, phrase) in counted:
                continue
            counted.add((k, phrase))
            said = " ".join(clause.tokens[j].word for j in range(i, i + len(phrase)))
            before = lem[i - 1] if i else ""
            if framed or before in ("in", "as", "into", "with"):
                where.setdefault(k, i)
                score[k] = score.get(k, 0.0) + self.idf[phrase]
                hits.setdefault(k, []).append(said)
            elif not content_verb:
                where.setdefault(k, i)
                unframed.append((k, phrase, said))
        scores = [(score[k], k, hits[k]) for k in score]
        scores = [(sc, k, hits) for sc, k, hits in scores if hits]
        if not scores:
            # unframed: two or more descriptive words of one look ("soft dreamy haze")
            per: dict[int, list] = {}
            for k, phrase, words in unframed:
                per.setdefault(k, []).append((phrase, words))
            scores = [(sum(self.idf[p] for p, _w in ps), k, [w for _p, w in ps])
                      for k, ps in per.items() if len(ps) >= 2]
        if not scores:
            return None
        scores.sort(key=lambda s: (-s[0], s[1]))
        best, k, hits = scores[0]
        if best < 1.0:
            return None
        second = scores[1] if len(scores) > 1 else None
        margin = (best - second[0]) / best if second else 1.0
        confidence = 0.55 + 0.4 * margin
        runner = (self.looks[second[1]].arg, ", ".join(second[2])) if second else None
        return Choice(self.looks[k].arg, self.looks[k], ", ".join(dict.fromkeys(hits)),
                      confidence, described=True, runner_up=runner, position=where.get(k, -1),
                      distinct=best >= DISTINCT and margin >= 0.5)

    def look(self, arg: str) -> Look | None:
        return next((look for look in self.looks if look.arg == arg), None)


def find_reference(norm: str, lookup) -> tuple[str, int, str] | None:
    """("in the style of <title>" with ``<title>`` replaced by a placeholder, image id, title)
    when ``norm`` names a library image ``lookup(title) -> (id, title) | None`` finds.
    Quoted titles are taken as they are; otherwise the longest run of words that is a title."""
    if lookup is None:
        return None
    for m in _REFERENCE.finditer(norm):
        rest = norm[m.end():]
        quoted = re.match(r"\s*[\"'](.+?)[\"']", rest)
        if quoted:
            candidates = [(quoted.group(1), quoted.end())]
        else:
            words = list(re.finditer(r"[^\s,.;!?]+", rest))[:8]
            candidates = [(rest[:w.end()], w.end()) for w in reversed(words)]
        for title, end in candidates:
            title = title.strip(" \"'")
            found = lookup(title) if title else None
            if found:
                image_id, real_title = found
                return (norm[:m.end()] + PLACEHOLDER + rest[end:], int(image_id), real_title)
    return None
