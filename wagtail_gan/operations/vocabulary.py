"""The words an operation brings for natural-language instructions (the one-place rule).

An operation module declares ``VOCABULARY = Vocabulary(...)`` beside its spec and sets
``vocabulary = VOCABULARY`` on its class; ``wagtail_gan.instructions`` reads every registered
operation's vocabulary (nothing there lists operations). An operation without one is never
planned from an instruction.

Words (``words``, ``hints``, ``removes``, ``adds``, a look's ``names``/``styled``/``words``) are
matched in their dictionary form, after British spellings become American ones ("colour" ->
"color") and clear typos are corrected: "blow up" also matches "blowing up", "wire" matches
"wires". ``patterns`` and ``args`` are regular expressions over the text as written (lower
case, accents removed, American spelling); ``{it}`` in a pattern stands for "it", "this", "the
photo", "the image" ...

Data only: no imports from the rest of wagtail_gan.
"""

from __future__ import annotations

from dataclasses import dataclass

# How strong the effect should be, for the ``<name>[-<1..100>]`` operations: "70 %",
# "strength 40", "half", and light words ("a bit of", "subtle", "not too much") -> 50.
LIGHT = (r"\b(?:a (?:little|bit|touch|hint|dash)|a little bit|bit of|slight(?:ly)?|"
         r"(?<!low )light(?:ly)?(?! leak)|dusting|dust (?:it|them|everything|with)|sprinkl\w*|subtle|"
         r"subtly|some|touch of|hint of|gentle|gently|faint(?:ly)?|"
         r"mild(?:ly)?|barely|smattering|patch(?:y|es)|not too (?:much|strong|heavy|many)|"
         r"not overly|don'?t overdo|do not overdo|a few)\b")
STRENGTH_ARGS: tuple[tuple[str, str], ...] = (
    (r"\b(100|[1-9][0-9]?) ?(?:%|percent\b|per cent\b)", "{1}"),
    (r"\bstrength (?:of )?(100|[1-9][0-9]?)\b", "{1}"),
    (r"-(100|[1-9][0-9]?)\b", "{1}"),
    (r"\bhalf\b", "50"),
    (r"\b(?:full|fully|maximum|max|heavy|heavily|very|really|super|lots of|loads of)\b", ""),
    (LIGHT, "50"),
)


@dataclass(frozen=True)
class Look:
    """One of the looks an operation chooses between (stylize's styles and painters): an
    instruction that names or describes it gets ``<operation>-<arg>``."""

    arg: str
    # What it looks like, for the explanation ("crayon" -> pastel: soft pastel wash ...).
    description: str
    # Names that pick it on their own: painters, movements ("van gogh", "hokusai", "cubism").
    names: tuple[str, ...] = ()
    # Names that pick it only beside "style", "look", "filter", "preset", "effect" or after
    # "into a" (style names are ordinary words: "the ink style" but not "ink on the table").
    styled: tuple[str, ...] = ()
    # How editors describe it: media, movements, moods, colours ("crayon", "chalk", "pale").
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """How editors ask for an operation (see the module docstring for the matching rules)."""

    # Words and phrases that ask for it ("upscale", "enlarge", "super resolution").
    words: tuple[str, ...] = ()
    # Words that suggest it, weaker evidence ("bigger", "sharp").
    hints: tuple[str, ...] = ()
    # Constructions, as regular expressions ("blow {it} up", "(?:2|two) ?x").
    patterns: tuple[str, ...] = ()
    # What it takes away: "remove / erase / get rid of / no / without <X>" asks for it.
    removes: tuple[str, ...] = ()
    # It takes away whatever is removed that no other operation claims ("zap the pylon").
    removes_anything: bool = False
    # What it brings: "add / make it / turn it into <X>" asks for it; "remove / melt / less /
    # no <X>" asks for its opposite (a free-form edit), never for it.
    adds: tuple[str, ...] = ()
    # Spec arguments from the words: (regular expression, argument[, note]); ``{1}`` is the
    # first group. All that match are joined with "-" if that parses ("left200-right256",
    # a blend "3-12"), else the first that parses wins; the note is said when it is used
    # ("only 2x and 4x exist").
    args: tuple[tuple[str, str], ...] = ()
    # Spec argument when none is found ("" : the operation's name alone is the spec).
    default: str = ""
    # The looks it chooses between, by name or by description.
    looks: tuple[Look, ...] = ()
    # Spec argument for "in the style of <title of a library image>" ("image{id}"); "" none.
    reference: str = ""
    # Example phrasings: documentation, and training data of the learned intent layer
    # (``scripts/train_instructions.py``) beside the corpus.
    examples: tuple[str, ...] = ()
