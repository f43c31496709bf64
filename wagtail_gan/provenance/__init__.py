"""Provenance of generated images: what each output carries, who may use what, and "is this
one of ours?".

* :mod:`.output` - ``finalize_output``: watermark, XMP metadata and C2PA signature of every
  output the job runner stores (worker side);
* :mod:`.metadata` - the XMP packet (IPTC digital source type, model, source, ``wgan:`` fields);
* :mod:`.c2pa` - C2PA content credentials: sign, read and validate (c2pa-python, lazily);
* :mod:`.watermark` - the invisible watermark (numpy: imported lazily by the others, so the
  web tier imports this package without it);
* :mod:`.rights` - the source's rights fields, copied and summarised; protected collections;
* :mod:`.inspect` - ``inspect_file``: watermark, metadata, manifest and database lookups of any
  file (``manage.py gan_verify`` and the admin page "Check an image");
* :mod:`.views` - the "Check an image" admin page (its hooks are in ``wagtail_gan.wagtail_hooks``).

The names below are the package's public API; importing it loads neither numpy nor c2pa.
"""

from .inspect import MAX_CHECK_BYTES, inspect_file, resolve_payload
from .metadata import COMPOSITE, IPTC_DST, TRAINED, build_xmp, read_xmp
from .output import finalize_output, output_info, sign_output
from .rights import check_source_not_protected, copy_rights, rights_summary, source_rights

__all__ = [
    "COMPOSITE",
    "IPTC_DST",
    "MAX_CHECK_BYTES",
    "TRAINED",
    "build_xmp",
    "check_source_not_protected",
    "copy_rights",
    "finalize_output",
    "inspect_file",
    "output_info",
    "read_xmp",
    "resolve_payload",
    "rights_summary",
    "sign_output",
    "source_rights",
]
