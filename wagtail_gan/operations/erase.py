"""``erase`` | ``erase-<x>.<y>.<w>.<h>[-...]``: remove objects marked by a mask (LaMa).

Editor and API only (not a rendition filter: a mask is needed). The mask is defined here,
once, as plain JSON (no library types), so it can travel in a spec, a job's params, an API
request and a provenance record:

* **in the spec**: up to :data:`MAX_SPEC_RECTS` rectangles, ``erase-<x>.<y>.<w>.<h>``, in pixels
  of the source image (after EXIF orientation): ``erase-10.20.100.80-300.40.50.50``. This is
  what ``gan_run --spec``, ``POST variants/`` (``"operation": "erase-10.20.100.80"``) and the
  admin form send today; the spec text (``GenerationJob.operation``, ``Variant.operation``)
  records the mask.
* **in the engine's params** (``engine.run("erase", img, params={"mask": {...}})``): a
  :func:`clean_mask` dict, for the brush tool (strokes) and uploaded mask images::

      {"rects":   [[x, y, w, h], ...],                       # rectangles
       "strokes": [{"points": [[x, y], ...], "radius": r}], # brush strokes (round caps)
       "png":     "<base64 PNG>",      # or a data: URL; white / opaque = erase
       "size":    [W, H],              # canvas the coordinates refer to (default: image)
       "grow":    4}                   # dilate the mask by N px (default 0)

  Rects from the spec and the ``mask`` dict are combined (union). The worker records
  ``mask_used`` (sources, erased area fraction, sha256 of the rasterised mask) with the
  result's params, so provenance always says that, and which, mask was used.

Only the masked pixels change: the model's output is composited inside the mask.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail_gan.conf import gan_settings

from .base import FormChoice, InvalidSpec, Operation, dummy_entry
from .vocabulary import Vocabulary

MAX_SPEC_RECTS = 16
MAX_SHAPES = 500
MAX_POINTS = 20_000
MAX_PNG_BYTES = 4 * 1024 * 1024
MAX_COORD = 100_000
MASK_KEYS = frozenset({"rects", "strokes", "png", "size", "grow"})
_RECT = re.compile(r"([0-9]{1,5})\.([0-9]{1,5})\.([0-9]{1,5})\.([0-9]{1,5})")


def _number(value: Any, what: str, low: float = 0, high: float = MAX_COORD) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise InvalidSpec(f"mask: {what} must be a number between {low:g} and {high:g}")
    return value


def _rect(value: Any) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        raise InvalidSpec("mask: each rect is [x, y, width, height]")
    x, y = _number(value[0], "rect x"), _number(value[1], "rect y")
    w, h = _number(value[2], "rect width", 1), _number(value[3], "rect height", 1)
    return [x, y, w, h]


def _stroke(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("points"), (list, tuple)):
        raise InvalidSpec('mask: each stroke is {"points": [[x, y], ...], "radius": r}')
    points = []
    for p in value["points"]:
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise InvalidSpec("mask: stroke points are [x, y] pairs")
        points.append([_number(p[0], "point x"), _number(p[1], "point y")])
    if not points:
        raise InvalidSpec("mask: a stroke needs at least one point")
    return {"points": points, "radius": _number(value.get("radius", 10), "stroke radius", 0.5,
                                                  1000)}


def decode_png(value: str) -> bytes:
    """The bytes of a mask PNG given as base64 or a ``data:image/png;base64,`` URL."""
    if not isinstance(value, str):
        raise InvalidSpec("mask: png is a base64 string")
    if value.startswith("data:"):
        head, _, value = value.partition(",")
        if not head.endswith(";base64"):
            raise InvalidSpec("mask: a png data URL must be base64")
    if len(value) > MAX_PNG_BYTES * 4 // 3 + 4:
        raise InvalidSpec(f"mask: png is larger than {MAX_PNG_BYTES // 1024 // 1024} MB")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSpec("mask: png is not valid base64") from None
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InvalidSpec("mask: png is not a PNG file")
    return data


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's (width, height) from its header (IHDR): no pixel is decoded."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise InvalidSpec("mask: png is not a PNG file (no IHDR header)")
    width, height = struct.unpack(">II", data[16:24])
    if not width or not height:
        raise InvalidSpec("mask: png has no pixels")
    return width, height


def check_png_size(data: bytes, image_size: tuple[int, int] | None) -> None:
    """Refuse a mask PNG larger than the image it masks (either way round: the source's EXIF
    orientation may turn it), or without an image, larger than MAX_INPUT_PIXELS; read from
    the header, before a worker would decode it."""
    pw, ph = png_size(data)
    if image_size is not None:
        w, h = image_size
        if pw * ph > w * h or max(pw, ph) > max(w, h):
            raise InvalidSpec(f"mask: the png is {pw}x{ph} pixels, larger than the image "
                              f"({w}x{h}); send it at the image's size or smaller")
    limit = int(gan_settings.MAX_INPUT_PIXELS)
    if pw * ph > limit:
        raise InvalidSpec(f"mask: the png is {pw}x{ph} = {pw * ph:,} pixels; the limit "
                          f"(WAGTAIL_GAN['MAX_INPUT_PIXELS']) is {limit:,}")


def _clamp(mask: dict[str, Any], canvas: tuple[float, float]) -> None:
    """Clamp ``mask``'s shapes to ``canvas`` (width, height) in place: points to it, a
    brush to its diagonal (a larger one paints no more), rectangles cut at its edges (one
    that starts outside is refused)."""
    cw, ch = canvas
    diagonal = math.hypot(cw, ch)
    for stroke in mask.get("strokes", ()):
        stroke["radius"] = min(stroke["radius"], max(0.5, diagonal))
        stroke["points"] = [[min(x, cw), min(y, ch)] for x, y in stroke["points"]]
    for rect in mask.get("rects", ()):
        x, y, w, h = rect
        if x >= cw or y >= ch:
            raise InvalidSpec(f"mask: the rect {[x, y, w, h]} starts outside the image "
                              f"({cw:g}x{ch:g})")
        rect[2], rect[3] = min(w, cw - x), min(h, ch - y)


def clean_mask(value: Any, image_size: tuple[int, int] | None = None) -> dict[str, Any]:
    """Validate a mask dict (see the module docstring); returns a normalised copy. Raises
    :class:`InvalidSpec` with a one-line message. Does not decode the PNG's pixels.

    With ``image_size`` (the source's width and height) the work it asks for is bounded:
    shapes are clamped to the canvas (``size``, else the image either way round), a brush to
    the canvas's diagonal, and a PNG larger than the image (read from its header) is
    refused. The worker clamps and bounds again (``models_zoo/backends/masks.py``)."""
    if not isinstance(value, dict) or not value:
        raise InvalidSpec("mask must be an object with rects, strokes and/or png")
    unknown = set(value) - MASK_KEYS
    if unknown:
        raise InvalidSpec(f"mask: unknown keys {sorted(unknown)}; use {sorted(MASK_KEYS)}")
    out: dict[str, Any] = {}
    for key, item in (("rects", _rect), ("strokes", _stroke)):
        if key in value:
            if not isinstance(value[key], (list, tuple)):
                raise InvalidSpec(f"mask: {key} is a list")
            if len(value[key]) > MAX_SHAPES:
                raise InvalidSpec(f"mask: at most {MAX_SHAPES} {key}")
            if key == "strokes" and sum(
                    len(s["points"]) if isinstance(s, dict)
                    and isinstance(s.get("points"), (list, tuple))
                    else 0 for s in value[key]) > MAX_POINTS:
                raise InvalidSpec(f"mask: at most {MAX_POINTS} stroke points in all")
            out[key] = [item(v) for v in value[key]]
    if "png" in value:
        check_png_size(decode_png(value["png"]), image_size)
        out["png"] = value["png"]
    if not (out.get("rects") or out.get("strokes") or out.get("png")):
        raise InvalidSpec("mask is empty: give rects, strokes or a png")
    if "size" in value:
        size = value["size"]
        if not isinstance(size, (list, tuple)) or len(size) != 2:
            raise InvalidSpec("mask: size is [width, height]")
        out["size"] = [_number(size[0], "size width", 1), _number(size[1], "size height", 1)]
    if "grow" in value:
        grow = _number(value["grow"], "grow", 0, 64)
        if grow != int(grow):
            raise InvalidSpec("mask: grow is a whole number of pixels (0..64)")
        out["grow"] = int(grow)
    if "size" in out:
        _clamp(out, (out["size"][0], out["size"][1]))
    elif image_size is not None:
        side = max(image_size)  # the source's EXIF orientation may swap width and height
        _clamp(out, (side, side))
    return out


def parse_rect(token: str) -> list[int] | None:
    m = _RECT.fullmatch(token)
    if not m:
        return None
    x, y, w, h = (int(g) for g in m.groups())
    return [x, y, w, h] if w > 0 and h > 0 else None


# How editors ask for it (read by wagtail_gan.instructions): anything removed that is not the
# background (removebg), noise or damage (restore) or snow (the opposite of winterize).
VOCABULARY = Vocabulary(
    words=("erase", "eraser", "magic eraser", "inpaint", "content aware fill", "content aware",
           "clone out", "clone stamp", "heal", "healing brush", "object removal",
           "object remover", "photoshop out", "edit out", "paint out", "airbrush out",
           "retouch out", "brush out", "declutter", "photobomber", "photo bomber"),
    hints=("disappear", "vanish", "go away", "gone", "empty", "clutter", "distraction", "free"),
    removes=(
        "person", "people", "nobody", "no one", "tourist", "passerby", "passer by", "crowd", "pedestrian",
        "cyclist", "runner", "jogger", "photobomber", "stranger", "man", "woman", "guy", "kid",
        "child", "ex", "boyfriend", "girlfriend", "wire", "power line", "powerline", "cable",
        "pole", "telephone pole", "lamp post", "lamppost", "street lamp", "streetlight", "sign",
        "road sign", "text", "caption", "watermark", "logo", "date stamp", "timestamp",
        "writing", "graffiti", "sticker", "price tag", "label", "car", "van", "truck", "bike",
        "bicycle", "bin", "wheelie bin", "trash", "trash can", "rubbish", "litter", "bottle",
        "scaffolding", "crane", "cone", "traffic cone", "fence", "railing", "bird", "seagull",
        "pigeon", "dog", "cat", "plane", "contrail", "jet trail", "drone", "boat", "umbrella",
        "chair", "table", "tree", "branch", "shadow of", "reflection", "glare", "lens flare",
        "pimple", "blemish", "spot", "mole", "tattoo", "scar", "stain", "crumb", "coffee ring",
        "mark", "crack", "socket", "light switch", "microphone", "boom mic", "tripod", "finger",
        "thumb", "object", "thing", "stuff", "distraction", "clutter", "mess", "camera",
        "aerial", "antenna", "satellite dish", "air conditioning", "flagpole", "bollard",
        "chewing gum", "weed", "cigarette", "glasses", "hat", "earring", "badge", "lanyard",
        "brace", "dust spot", "smudge on the lens", "stray hair", "flyaway", "hair across",
        "tag", "flag", "bag", "junk",
    ),
    removes_anything=True,
    patterns=(
        r"\bcut (?:\w+ ){1,3}out of (?:the |this |my )?(?:picture|photo|shot|image|frame)\b",
        r"\b(?:get|take) (?:\w+ ){1,4}out of (?:the |this )?(?:picture|photo|shot|image|"
        r"frame|way)\b",
        r"\bmake (?:the |that |those |these )?\w+(?: \w+)? (?:disappear|vanish|go away)\b",
        r"\b(?:an? )?empty (?:street|beach|square|road|room|park)\b",
        r"\b(?:street|beach|square|view|building|road|room|park) without\b",
    ),
    examples=("erase the overhead cables", "remove the tourists", "get rid of the bin",
              "photoshop out the lorry", "remove the watermark", "make the crowd disappear"),
)


class Erase(Operation):
    name = "erase"
    vocabulary = VOCABULARY
    label = _("Erase objects")
    description = (
        "Remove objects marked by a mask and fill the area (LaMa). Rectangles in the spec "
        "(erase-<x>.<y>.<w>.<h>, pixels of the source) or a mask (rects, brush strokes, a "
        "PNG) in the request. Editor and API only."
    )
    synopsis = "erase-<x>.<y>.<w>.<h>[-<x>.<y>.<w>.<h>...] (or a mask in the request)"
    order = 50
    strength = None
    inputs = ("mask",)

    def clean_inputs(self, spec, inputs, size=None):
        if inputs.get("mask") is not None:
            return {"mask": clean_mask(inputs["mask"], size)}
        if not spec.params.get("rects"):
            raise InvalidSpec("Mark the area to erase: paint it on the image, or give "
                              "rectangles (erase-<x>.<y>.<w>.<h>) or a mask.")
        return {}

    def grammar(self):
        return ["erase", "erase-<x>.<y>.<w>.<h>[-<x>.<y>.<w>.<h>...]"]

    def dummy_models(self):
        return {"dummy_inpaint": dummy_entry(*self.model_keys())}  # shared with expand

    def parse(self, args):
        if not args:
            return self.spec({})  # the mask comes with the request's params
        if len(args) > MAX_SPEC_RECTS:
            raise InvalidSpec(f"erase takes at most {MAX_SPEC_RECTS} rectangles in the spec; "
                              "send a mask for more")
        rects = []
        for token in args:
            rect = parse_rect(token)
            if rect is None:
                raise InvalidSpec(f"Bad erase rectangle {token!r}: use <x>.<y>.<width>.<height> "
                                  "in pixels, e.g. erase-10.20.100.80")
            rects.append(rect)
        return self.spec({"rects": rects})

    def format(self, params):
        rects = params.get("rects") or []
        return "-".join(["erase"] + [".".join(str(int(v)) for v in r) for r in rects])

    def label_for(self, params):
        n = len(params.get("rects") or [])
        if not n:
            return "erase (masked area)"
        return f"erase {n} area{'s' if n > 1 else ''}"

    # -- admin form ---------------------------------------------------------------------
    # The brush tool (gan-erase) writes the mask JSON into ``erase_mask_json``; the rectangle
    # text field is the no-JS fallback. Either (or both: union) marks what to erase.
    def form_choices(self):
        return [FormChoice("erase", str(_("Erase objects (mark them)")),
                           ("erase_mask", "erase_mask_json"), bulk=False)]

    def form_fields(self):
        return {
            "erase_mask": forms.CharField(
                label=_("Areas to erase"), required=False, max_length=400,
                help_text=_("Or type rectangles x.y.width.height in pixels of the image, "
                            "separated by spaces, e.g. 10.20.100.80"),
            ),
            "erase_mask_json": forms.CharField(
                label=_("Painted mask"), required=False, widget=forms.HiddenInput,
                max_length=MAX_PNG_BYTES * 2,
            ),
        }

    def _rects_from_form(self, data) -> list[str]:
        return [t for t in re.split(r"[\s,;-]+", data.get("erase_mask") or "") if t]

    def mask_from_form(self, data) -> dict[str, Any] | None:
        """The painted mask (``erase_mask_json``) cleaned by :func:`clean_mask`, or None when
        nothing was painted. Raises :class:`InvalidSpec`."""
        text = (data.get("erase_mask_json") or "").strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise InvalidSpec("The painted mask could not be read; clear it and paint "
                              "again.") from None
        return clean_mask(value)

    def inputs_from_form(self, choice, data) -> dict[str, Any]:
        """The inputs beside the spec (``submit_variant_job(mask=...)``) the form gives."""
        try:
            mask = self.mask_from_form(data)
        except InvalidSpec:
            return {}
        return {"mask": mask} if mask else {}

    def clean_form(self, choice, data):
        errors = {}
        try:
            mask = self.mask_from_form(data)
        except InvalidSpec as exc:
            errors["erase_mask_json"] = str(exc)
            mask = None
        tokens = self._rects_from_form(data)
        if tokens:
            try:
                self.parse(tokens)
            except InvalidSpec as exc:
                errors["erase_mask"] = str(exc)
        elif mask is None and not errors:
            errors["erase_mask"] = str(_("Mark what to erase: paint over it on the image, "
                                         "or give at least one rectangle."))
        return errors

    def spec_from_form(self, choice, data):
        return self.parse(self._rects_from_form(data)).text

    def form_values(self, spec):
        rects = spec.params.get("rects") or []
        return {"operation": "erase",
                "erase_mask": " ".join(".".join(str(v) for v in r) for r in rects)}
