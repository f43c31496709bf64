"""An instruction in clauses, with what each word is negated by.

The text is cut at punctuation and conjunctions ("and", "then", "but", "also" ...) into
fragments. A fragment that asks for nothing on its own (no verb, no operation word: "the cars",
"16:9", "for the newsletter") belongs to its neighbour: "remove the people and the cars" is one
clause, "upscale it, and make it snowy" two.

Each word gets a scope: ``decline`` ("don't upscale", "never", "rather than Monet"),
``absence`` ("no background", "without the tourists"), ``keep`` ("keep the background",
"leave the sky alone"), ``source`` (what a scene is turned from: "turn this *winter scene*
into summer", "from *summer* to winter") or ``state`` (how the picture is now: "*it is too
small*", "*it's winter*, make it summer": its defects ask for a fix, its content for nothing). A scope runs to the end of its fragment or to "but",
"just", "only", "instead"; a fragment that joins the previous one inherits its scope unless it
starts with one of those ("I don't want the people removed, just the cars").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import WORD, lemmas

SPLIT = re.compile(
    r"\s*[,.;!?()\[\]]+\s*|\s*(?<!\w)-\s+|\s+-(?!\w)\s*"
    r"|\s+(?=(?:and then|and also|and|then|but|also|plus|after that|afterwards|"
    r"finally|as well as|while|so that|next|later)\b)"
)
JOINERS = ("and then", "and also", "as well as", "after that", "so that", "afterwards", "and",
           "then", "but", "also", "plus", "finally", "while", "next", "later")
# Words that do not make a request on their own ("take it out", "fix that", "make it go").
GENERIC = frozenset("""
a an the it this that these those them him her me us you i we my our your its his their
make do get take go give put let have be want need like use try fix sort handle deal
out away up off in on at to for of with from please just now then so also too really
thing stuff one bit little lot some more
""".split())
SEQUENCE = frozenset({"then", "after", "afterwards", "finally", "also", "plus", "next",
                      "later", "well"})
CONTRAST = frozenset({"but", "just", "only", "instead", "except", "rather", "whereas"})
# Verbs that make a fragment a request of its own (dictionary forms).
VERBS = frozenset("""
make turn add remove erase delete change give put apply paint render convert transform upscale
enlarge get take cut crop extend expand widen zoom restore fix repair clean denoise sharpen
brighten darken double quadruple blow scale increase reduce replace swap isolate extract
stylize winterize use try do keep leave lose ditch drop strip kill clear hide cover blur flip
mirror invert rotate age sprinkle let bury set show bring pull fill outpaint uncrop square
blend mix combine retouch airbrush photoshop inpaint clone heal edit magnify resize
boost raise bump improve enhance recover revive refresh remaster deblur unblur degrain
knock mask separate lift pad letterbox grow stretch sharpen focus go need want see
upsample upres vintagify snowify winterise age recolor
""".split())
_DECLINE = re.compile(
    r"\b(?:not|never|no need (?:to|for)|avoid|skip|nor|neither|instead of|rather than|forget|"
    r"never mind|hold off|stop|but not|except|apart from|other than)\b")
_ABSENCE = re.compile(r"\b(?:no|without|minus|free of|empty of|clear of|nothing|nobody|no one|"
                      r"noone)\b")
_KEEP = re.compile(r"\b(?:keep|leave|preserve|retain|untouched|intact|as (?:it )?is|alone|"
                   r"the same|stays?|remains?|should stay)\b(?! only| just)")
_WHOLE = ("alone", "untouched", "intact", "as is", "as it is", "the same", "stay", "stays",
          "remain", "remains", "should stay")
# "vintage no", "upscaling? no": a negation after what it negates
_AFTER = re.compile(r"\b(?:no|not|nope|never|no thanks)\W*$")
_KEEP_NOT = re.compile(r"\b(?:only keep|keep only|keep just|just keep)\b")
_SOURCE = re.compile(
    r"\bfrom\b(?P<a>.+?)\b(?:to|into)\b"
    r"|\b(?:turn|change|convert|transform|switch|swap)\b(?P<b>(?: \w+){1,4}?) (?:into|to|for)\b")
# "it is winter", "the photo looks grainy": how the picture is now, not what to make of it
_STATE = re.compile(r"^(?:(?:it|this|that|the (?:\w+ )?\w+)(?: is| are| looks| seems| was| has)"
                    r"|there is|(?:it|this) is an?)\b(?! (?:to|for|going)\b)")
# "for the newsletter", "need it for a flyer": what it is for
_CONTEXT = re.compile(r"^(?:(?:(?:i|we) )?need (?:it|this) |(?:it|this) is |(?:it|this) needs? )?"
                      r"for (?:the|a|an|our|my|your|some)\b")
_LEAD = re.compile(r"^(?:(?:and then|and also|as well as|after that|so that|afterwards|and|then|"
                   r"also|finally|plus|but|next|while|later)\s+)+")


@dataclass
class Token:
    word: str
    lemma: str
    scope: str = ""  # "", "decline", "absence", "keep", "source", "state"


@dataclass
class Clause:
    """Consecutive fragments that form one request."""

    text: str
    tokens: list[Token] = field(default_factory=list)
    joiner: str = ""  # the conjunction before it ("and", "then", "but", "," ...)
    standalone: bool = False
    context: bool = False  # says what it is for ("for the newsletter")

    @property
    def lemmas(self) -> list[str]:
        return [t.lemma for t in self.tokens]

    def scoped(self, *scopes: str) -> bool:
        return any(t.scope in scopes for t in self.tokens)


def _scopes(text: str, n_words: int, word_spans: list[tuple[int, int]]) -> list[str]:
    """The scope of each word of one fragment."""
    out = [""] * n_words

    def mark(start: int, end: int, kind: str) -> None:
        for i, (s, e) in enumerate(word_spans):
            if s >= start and e <= end and not out[i]:
                out[i] = kind

    ends = [m.start() for m in re.finditer(r"\b(?:but|just|only|instead|whereas)\b", text)]

    def scope_end(pos: int) -> int:
        return min([e for e in ends if e > pos] + [len(text)])

    if _AFTER.search(text) and n_words > 1:
        return ["decline"] * n_words
    for m in _SOURCE.finditer(text):
        group = "a" if m.group("a") is not None else "b"
        mark(m.start(group), m.end(group), "source")
    for m in _DECLINE.finditer(text):
        mark(m.start(), scope_end(m.end()), "decline")
    for m in _ABSENCE.finditer(text):
        mark(m.start(), scope_end(m.end()), "absence")
    if not _KEEP_NOT.search(text):
        for m in _KEEP.finditer(text):
            # "leave the sky alone": the whole fragment; "keep the background": what follows
            start = 0 if m.group(0) in _WHOLE else m.start()
            mark(start, scope_end(m.end()), "keep")
    return out


def fragments(surface: str, known: frozenset[str]) -> list[Clause]:
    """``surface`` cut into fragments, each with its words' lemmas and scopes."""
    out: list[Clause] = []
    pos = 0
    pieces = []
    for m in SPLIT.finditer(surface):
        pieces.append((surface[pos:m.start()], surface[m.start():m.end()]))
        pos = m.end()
    pieces.append((surface[pos:], ""))
    joiner = ""
    for text, sep in pieces:
        text = text.strip()
        lead = _LEAD.match(text)
        if lead:
            joiner = lead.group(0).strip()
        body = text[lead.end():] if lead else text
        if body:
            spans = [(m.start(), m.end()) for m in WORD.finditer(body)]
            words = [body[s:e] for s, e in spans]
            scopes = _scopes(body, len(words), spans)
            if _STATE.match(body):
                scopes = [sc or "state" for sc in scopes]
            tokens = [Token(w, lm, sc) for w, lm, sc in zip(words, lemmas(words, known), scopes, strict=True)]
            first = body.split()[0]
            starts_contrast = first in CONTRAST or bool(lead and "but" in lead.group(0).split())
            clause = Clause(body, tokens, "but" if starts_contrast else joiner)
            clause.context = bool(_CONTEXT.match(body))
            out.append(clause)
        joiner = sep.strip(" ,") or ("," if sep.strip() else "")
    return out


# "paint it like Monet, no wait, like Van Gogh": the editor changed their mind
_RETRACT = re.compile(r"^(?:no wait|scratch that|i mean|or rather|sorry|on second thought|no no|"
                      r"hmm no|correction|actually no)\b\W*")


def retracted(frags: list[Clause]) -> list[Clause]:
    """The fragments after the last "no wait", "actually", "scratch that" ..."""
    for i in range(len(frags) - 1, -1, -1):
        m = _RETRACT.match(frags[i].text)
        if m and i > 0:
            rest = frags[i].text[m.end():].strip()
            if not rest:
                return frags[i + 1:] or frags
            frag = frags[i]
            kept = len(WORD.findall(rest))
            return [Clause(rest, frag.tokens[-kept:] if kept else [], ""), *frags[i + 1:]]
    return frags


def merge(frags: list[Clause], standalone, ops=None) -> list[Clause]:
    """Fragments that ask for nothing on their own join their neighbour (the previous one, or
    the next when they come first). ``standalone(clause, weak=False) -> bool``: it asks for
    something (``weak``: a hint is enough). ``ops(clause) -> (strong, any)``: the operations
    it has strong / any evidence for; a fragment with only a hint for another operation than
    the strong one before it is a step of its own ("like stained glass, and bigger")."""
    for frag in frags:
        # after "then", "also", "plus": any word for an operation is a step of its own
        sequenced = bool(set(frag.joiner.split()) & SEQUENCE) and bool(standalone(frag, True))
        frag.standalone = not frag.context and (sequenced or bool(standalone(frag)) or (
            any(t.lemma in VERBS for t in frag.tokens)
            and any(t.lemma not in GENERIC and t.lemma.isalpha() for t in frag.tokens)))
    merged: list[Clause] = []
    pending: list[Clause] = []  # orphans before the first standalone fragment
    for frag in frags:
        if not frag.standalone and merged and ops is not None and merged[-1].standalone:
            before, _ = ops(merged[-1])
            _, mine = ops(frag)
            frag.standalone = bool(before and mine and not mine & before)
        if frag.standalone:
            if pending:
                frag = join_fragments(pending + [frag])
                pending = []
            merged.append(frag)
        elif merged:
            merged[-1] = join_fragments([merged[-1], frag])
        else:
            pending.append(frag)
    if pending:
        merged.append(join_fragments(pending))
    return merged


def join_fragments(parts: list[Clause]) -> Clause:
    first = parts[0]
    tokens = list(first.tokens)
    text = first.text
    for part in parts[1:]:
        inherit = ""
        if tokens and not part.standalone and not set(part.joiner.split()) & CONTRAST:
            inherit = tokens[-1].scope if tokens[-1].scope not in ("source", "state") else ""
        if part.joiner and part.joiner != ",":  # "remove the scratches *and* the logo"
            tokens += [Token(w, w, inherit) for w in part.joiner.split()]
        tokens += [Token(t.word, t.lemma, t.scope or inherit) for t in part.tokens]
        text += (f" {part.joiner} " if part.joiner and part.joiner != "," else ", ") + part.text
    return Clause(text, tokens, first.joiner, any(p.standalone for p in parts))
