"""XMP metadata of generated outputs: the IPTC vocabulary, writing our packet, reading it back.

The packet carries IPTC ``DigitalSourceType`` (``trainedAlgorithmicMedia`` for text-to-image,
``compositeWithTrainedAlgorithmicMedia`` for variants of a source), ``AISystemUsed`` (model id),
``AISystemVersionUsed`` (weights sha256), ``dc:source`` (the source image), the source's rights
(``photoshop:Credit``, ``xmpRights:WebStatement``, ``dc:rights``) and our own ``wgan:`` fields
(job, output, operation, seed, watermark payload).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape, quoteattr

IPTC_DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = "trainedAlgorithmicMedia"
COMPOSITE = "compositeWithTrainedAlgorithmicMedia"
WGAN_NS = "https://wagtail-gan.org/ns/1.0/"
NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "wgan": WGAN_NS,
}


def build_xmp(info: dict[str, Any]) -> bytes:
    """An XMP packet for an output (see the module docstring for the fields)."""
    attrs = {
        "Iptc4xmpExt:DigitalSourceType": IPTC_DST + info["digital_source_type"],
        "Iptc4xmpExt:AISystemUsed": info.get("model_id") or "",
        "Iptc4xmpExt:AISystemVersionUsed": (
            f"sha256:{info['model_sha256']}" if info.get("model_sha256") else ""
        ),
        "wgan:Job": info.get("job_uuid") or "",
        "wgan:JobId": info.get("job_id"),
        "wgan:Output": info.get("output_index"),
        "wgan:Operation": info.get("operation") or "",
        "wgan:Seed": info.get("seed"),
        "wgan:SourceImage": info.get("source_id"),
        "wgan:SourceTitle": info.get("source_title") or "",
        "wgan:Watermark": info.get("watermark") or "",
    }
    rights = info.get("rights") or {}
    if rights.get("credit"):
        attrs["photoshop:Credit"] = rights["credit"]
    for key in ("licence", "license"):
        if rights.get(key):
            attrs["xmpRights:WebStatement"] = rights[key]
            break
    attr_text = "".join(
        f"\n    {k}={quoteattr(str(v))}" for k, v in attrs.items() if v not in (None, "")
    )
    children = []
    if info.get("source_id") is not None:
        children.append(
            f"   <dc:source>{escape(_derived_text(info.get('source_title'), info['source_id']))}"
            "</dc:source>"
        )
    copyright_text = rights.get("copyright") or rights.get("rights")
    if copyright_text:
        children.append(
            '   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(str(copyright_text))}</rdf:li></rdf:Alt></dc:rights>"
        )
    ns_decl = "".join(
        f'\n    xmlns:{p}="{u}"' for p, u in NS.items() if p not in ("x", "rdf")
    )
    body = "\n".join(children)
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f'<x:xmpmeta xmlns:x="{NS["x"]}">\n'
        f' <rdf:RDF xmlns:rdf="{NS["rdf"]}">\n'
        f'  <rdf:Description rdf:about=""{ns_decl}{attr_text}>\n'
        f"{body}\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def _derived_text(title: str | None, pk: Any) -> str:
    return f"Derived from “{title or 'untitled'}” (Wagtail image {pk}); the source's rights apply."


def read_xmp(data: bytes) -> dict[str, str]:
    """Our fields from a file's XMP packet: DigitalSourceType, AISystemUsed, wgan:* ..."""
    match = re.search(rb"<x:xmpmeta.*?</x:xmpmeta>", data, re.S)
    fields: dict[str, str] = {}
    if not match:
        return fields
    # Several packets can exist (c2pa adds its own); read every one.
    for packet in re.findall(rb"<x:xmpmeta.*?</x:xmpmeta>", data, re.S):
        try:
            root = ET.fromstring(packet)
        except ET.ParseError:
            continue
        rev = {v: k for k, v in NS.items()}
        for desc in root.iter(f"{{{NS['rdf']}}}Description"):
            for key, value in desc.attrib.items():
                if key.startswith("{"):
                    uri, local = key[1:].split("}", 1)
                    if uri in rev and rev[uri] not in ("rdf", "x"):
                        fields[f"{rev[uri]}:{local}"] = value
            for child in desc:
                if not child.tag.startswith("{"):
                    continue
                uri, local = child.tag[1:].split("}", 1)
                if uri not in rev:
                    continue
                text = " ".join(t.strip() for t in child.itertext() if t.strip())
                if text:
                    fields[f"{rev[uri]}:{local}"] = text
    return fields
