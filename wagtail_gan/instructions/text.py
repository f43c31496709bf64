"""Text of an instruction: normalising, spelling, typos, dictionary forms (pure Python).

``canonical()`` turns what the editor wrote into the text the router reads: lower case, no
accents, contractions and shorthand spelled out ("don't" -> "do not", "bg" -> "background"),
American spelling ("colour" -> "color", "winterise" -> "winterize") and clear typos corrected
against the words the router knows ("upsacle" -> "upscale"). ``lemma()`` gives a word's
dictionary form ("wires" -> "wire", "removing" -> "remove", "bigger" -> "big").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

WORD = re.compile(r"[a-z0-9]+")

# Shorthand and contractions, spelled out before anything else reads the text.
_SHORTHAND = [
    (re.compile(p), r) for p, r in (
        (r"\bw/o\b", "without"), (r"\bb ?[&/] ?w\b", "black and white"),
        (r"\b(do|does|did|is|are|was|were|should|would|could|have|has|must)n'?t\b", r"\1 not"),
        (r"\bnot (?:too|overly|so|very) (?:much|strong|strongly|heavy|heavily|many|intense|"
         r"dramatic|obvious|extreme)\b|\bnot overly\b|\b(?:don'?t|do not) overdo(?: it)?\b",
         "a little"),
        (r"\b(?:(?:do|does) ?n'?o?t|not) (?:make (?:it|them|this) )?(?:too|overly|so) (\w+)",
         r"a little \1"),
        (r"\bno\. ?(?=\d)", "number "),
        (r"\bwon'?t\b", "will not"), (r"\bcan'?t\b|\bcannot\b", "can not"),
        (r"\bdont\b", "do not"), (r"\bit'?s\b", "it is"), (r"\blet'?s\b", "let us"),
        (r"\bi'?m\b", "i am"), (r"'ve\b", " have"), (r"'ll\b", " will"), (r"'re\b", " are"),
        (r"\b(i|you|we|they|he|she)'d\b", r"\1 would"), (r"(?<=\w)'s\b", ""),
        (r"\b([a-z]{3,})-(?:free|less)\b", r"without \1"), (r"\bbackgroundless\b", "without background"),
        (r"\s*[&+]\s*", " and "), (r"\s*(?:->|→|=>)\s*", " to "),
    )
]
_WORDS = {
    # shorthand
    "bg": "background", "bgs": "backgrounds", "pic": "picture", "pics": "pictures",
    "pls": "please", "plz": "please", "thx": "thanks", "u": "you", "ur": "your",
    "xmas": "christmas", "img": "image", "imgs": "images", "foto": "photo", "pix": "pictures",
    "hirez": "hires", "rez": "res", "nothin": "nothing", "gonna": "going to",
    # British -> American
    "colour": "color", "colours": "colors", "coloured": "colored", "colouring": "coloring",
    "colourful": "colorful", "recolour": "recolor", "discoloured": "discolored",
    "grey": "gray", "greys": "grays", "greyscale": "grayscale", "greyish": "grayish",
    "artefact": "artifact", "artefacts": "artifacts", "centre": "center", "centred": "centered",
    "analogue": "analog", "catalogue": "catalog", "moustache": "mustache", "cosy": "cozy",
    "cosier": "cozier", "favourite": "favorite", "harbour": "harbor", "theatre": "theater",
    "jewellery": "jewelry", "aeroplane": "airplane", "tyre": "tire", "programme": "program",
    "mould": "mold", "odour": "odor", "vapour": "vapor", "metre": "meter", "grey-blue": "gray-blue",
    "jpg": "jpeg", "jpgs": "jpegs", "photograph": "photograph", "licence": "license",
    "modelling": "modeling", "labelled": "labeled", "travelling": "traveling",
}
# -ise -> -ize for these stems (not "noise", "rise", "wise", "precise" ...)
_IZE = re.compile(r"\b(winter|styl|color|vector|optim|real|modern|maxim|minim|normal|digit|"
                  r"stabil|pixel|satur|desatur|snow|sepia|vintag|christmass|retro|summar)"
                  r"is(e|es|ed|ing|ation|ations|er)\b")


def normalize(text: str) -> str:
    """Lowercase, strip accents and control characters, collapse whitespace."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("×", "x").replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


def spell_out(norm: str) -> str:
    """Contractions and shorthand spelled out, British spellings made American."""
    for pattern, repl in _SHORTHAND:
        norm = pattern.sub(repl, norm)
    norm = _IZE.sub(lambda m: f"{m.group(1)}iz{m.group(2)}", norm)
    norm = re.sub(r"[a-z]+(?:-[a-z]+)?", lambda m: _WORDS.get(m.group(0), m.group(0)), norm)
    return re.sub(r"\s+", " ", norm).strip()


# -- dictionary forms ----------------------------------------------------------------------

_IRREGULAR = {
    "people": "person", "men": "man", "women": "woman", "children": "child", "kids": "kid",
    "mice": "mouse", "teeth": "tooth", "feet": "foot", "leaves": "leaf", "knives": "knife",
    "made": "make", "took": "take", "taken": "take", "got": "get", "gotten": "get",
    "gave": "give", "given": "give", "ran": "run", "drew": "draw", "drawn": "draw",
    "froze": "freeze", "went": "go", "did": "do", "done": "do", "does": "do", "was": "be",
    "were": "be", "is": "be", "are": "be", "am": "be", "been": "be", "being": "be",
    "bigger": "big", "biggest": "big", "better": "good", "best": "good", "worse": "bad",
    "lilies": "lily", "skies": "sky", "passersby": "passerby", "has": "have", "had": "have",
    "brought": "bring", "kept": "keep", "left": "left", "lost": "lose", "put": "put",
    "cut": "cut", "set": "set", "shot": "shot", "felt": "feel", "thought": "think",
    "shown": "show", "blown": "blow", "blew": "blow", "grown": "grow", "grew": "grow",
    "painted": "paint", "hazy": "haze", "noisy": "noise", "grainy": "grain", "dusty": "dust",
    "blurry": "blur", "blurred": "blur", "fuzzy": "fuzz", "scratched": "scratch",
    "snowy": "snow", "snowier": "snow", "frosty": "frost", "frosted": "frost", "icy": "ice",
    "wintry": "winter", "wintery": "winter", "wintertime": "winter", "cloudy": "cloud",
    "foggy": "fog", "misty": "mist", "rainy": "rain", "sunny": "sun", "stormy": "storm",
    "vintagey": "vintage", "swirly": "swirl", "streaky": "streak", "crayony": "crayon",
    "chalky": "chalk", "smudgy": "smudge", "smudged": "smudge", "dreamy": "dream",
    "gloomy": "gloom", "murky": "murk", "earthy": "earth", "fiery": "fire", "inky": "ink",
    "sketchy": "sketch", "blocky": "block", "pixelated": "pixelate", "pixely": "pixel",
    "pixelly": "pixel", "wider": "wide", "widest": "wide", "larger": "large",
    "largest": "large", "taller": "tall", "smaller": "small", "sharper": "sharp",
    "crisper": "crisp", "clearer": "clear", "cleaner": "clean", "brighter": "bright",
    "darker": "dark", "warmer": "warm", "colder": "cold", "cooler": "cool", "softer": "soft",
    "older": "old", "higher": "high", "lower": "low", "greener": "green", "happier": "happy",
    "grainier": "grain", "noisier": "noise", "blurrier": "blur", "fewer": "few",
}
_KEEP = frozenset({
    "this", "his", "its", "yes", "always", "less", "glass", "grass", "canvas", "gas", "bus",
    "lens", "news", "series", "species", "various", "famous", "previous", "plus", "thus",
    "christmas", "process", "across", "focus", "us", "as", "was", "does", "has", "is",
    "during", "evening", "morning", "thing", "nothing", "something", "everything", "anything",
    "ceiling", "building", "painting", "drawing", "lighting", "king", "ring", "spring",
    "string", "wing", "sing", "bring", "sling", "swing", "sibling", "clothing",
    "seed", "need", "speed", "bed", "red", "shed", "bleed", "feed", "weed", "breed", "reed",
    "embed", "hundred", "sacred", "naked", "wicked", "jagged", "rugged", "beloved", "used",
    "dpi", "gogh", "monet", "turner", "yellowed", "yellowing", "warhol", "durer", "poster", "sticker", "paris", "dennis", "sepia", "ukiyo", "lomo", "polaroids", "hd",
    "glasses", "braces", "lanyards", "mess", "stress", "dress", "press", "address", "boss",
    "moss", "loss", "cross", "express", "mattress", "brightness", "sharpness", "vividness",
    "sometimes", "times", "ones", "nevertheless", "whereas", "perhaps",
    "backwards", "upwards", "downwards", "towards", "afterwards",
})


def lemma(word: str, known: frozenset[str] | set[str] = frozenset()) -> str:
    """The dictionary form of ``word`` ("wires" -> "wire", "removing" -> "remove"): known
    forms are kept; suffixes are stripped when the result is a known word (or, for plurals and
    -ing/-ed forms, by the usual English rules)."""
    return _lemma(word, known)


@lru_cache(maxsize=20000)
def _lemma_cached(word: str, known: frozenset[str]) -> str:
    return _lemma(word, known)


def _lemma(word: str, known) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _KEEP or not word.isalpha():
        return word
    candidates: list[str] = []
    if word.endswith("ies") and len(word) > 4:
        candidates.append(word[:-3] + "y")
    if word.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        candidates.append(word[:-2])
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        candidates.append(word[:-1])
    for suffix in ("ing", "ed", "er", "est"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if stem.endswith("i"):
                candidates.append(stem[:-1] + "y")
            candidates.append(stem + "e")
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
                candidates.append(stem[:-1])
            candidates.append(stem)
    if word.endswith("ly") and len(word) > 5:
        candidates.append(word[:-2])
    elif word.endswith("y") and len(word) > 4:  # "patchy", "smoky"
        candidates += [word[:-1], word[:-1] + "e"]
    for candidate in candidates:
        if candidate in known:
            return candidate
    if word in known:
        return word
    # Unknown words: plurals and -ing/-ed forms by rule, other endings kept.
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    if word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        return stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else stem
    return word


def lemmas(words: Iterable[str], known: frozenset[str]) -> list[str]:
    return [_lemma_cached(w, known) for w in words]


# -- typos -------------------------------------------------------------------------------

def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


class Speller:
    """Corrects words that are not known to a known word one edit away (an insertion, a
    deletion, a substitution or a swap of neighbours: "upsacle", "biger", "backgorund"); joined
    or split phrases too ("powerlines" -> "power lines", "van goh" -> "van gogh"). Words under
    5 letters, words with digits, and words that two known words fit equally are left alone."""

    MIN_LENGTH = 4

    def __init__(self, known: Iterable[str], targets: Iterable[str], phrases: Iterable[str] = ()):
        self.known = frozenset(known)
        self.index: dict[str, set[str]] = {}
        for word in set(targets):
            if len(word) >= self.MIN_LENGTH - 1 and word.isalpha():
                for key in _deletes(word) | {word}:
                    self.index.setdefault(key, set()).add(word)
        self.joined: dict[str, str] = {}
        for phrase in phrases:
            parts = phrase.split()
            if 2 <= len(parts) <= 3 and len("".join(parts)) >= 7:
                self.joined["".join(parts)] = phrase
        for joined in self.joined:
            for key in _deletes(joined) | {joined}:
                self.index.setdefault(key, set()).add(joined)

    def _best(self, word: str) -> str | None:
        found: set[str] = set()
        for key in _deletes(word) | {word}:
            found |= self.index.get(key, set())
        scored = sorted((_distance(word, c), c) for c in found)
        # a typo rarely changes the first letter (but may swap the first two)
        scored = [(d, c) for d, c in scored if (d <= 1 or (d == 2 and len(word) >= 9))
                  and (c[0] == word[0] or c[:2] == word[1::-1])]
        if not scored:
            return None
        # among equally near words: a letter left out is the likeliest typo, then a wrong or
        # swapped letter, then one too many
        best = [c for d, c in scored if d == scored[0][0]]
        for kind in (1, 0, -1):
            fits = [c for c in best if (len(c) > len(word)) - (len(c) < len(word)) == kind]
            if fits:
                best = fits
                break
        if len({lemma(c, self.known) for c in best}) > 1:
            return None
        return self.joined.get(best[0], best[0])

    def correct(self, word: str) -> str:
        if word in self.known or len(word) < self.MIN_LENGTH or not word.isalpha():
            return word
        if len(word) == self.MIN_LENGTH:  # short words: only two letters swapped ("snwo")
            best = self._best(word)
            return best if best and sorted(best) == sorted(word) else word
        # A known word with an ending ("upscaled", "wires") is not a typo.
        if lemma(word, self.known) in self.known:
            return word
        return self._best(word) or word

    def correct_text(self, text: str) -> str:
        words = list(re.finditer(r"[a-z]+", text))
        out, pos, i = [], 0, 0
        while i < len(words):
            m = words[i]
            out.append(text[pos:m.start()])
            pos = m.end()
            word = m.group(0)
            nxt = words[i + 1] if i + 1 < len(words) else None
            # two words that are one known phrase written apart and misspelt ("van goh")
            if (nxt is not None and text[m.end():nxt.start()] == " " and self.joined
                    and not (word in self.known and nxt.group(0) in self.known)
                    and len(word + nxt.group(0)) >= 6):
                best = self._best(word + nxt.group(0))
                if best and " " in best:
                    out.append(best)
                    pos = nxt.end()
                    i += 2
                    continue
            out.append(self.correct(word))
            i += 1
        out.append(text[pos:])
        return "".join(out)


def canonical(text: str, speller: Speller | None = None) -> str:
    """The text the router reads (see the module docstring)."""
    surface = spell_out(normalize(text))
    return speller.correct_text(surface) if speller is not None else surface
