"""The REST API reference, from the OpenAPI schema the site serves (``GET schema/``,
drf-spectacular): one section per endpoint, grouped by tag, and one per schema component.
The schema itself is published beside the pages (``openapi.json``)."""

from __future__ import annotations

import json
from typing import Any

from .markdown import cell, code, label, prose, table

SCHEMA_URL = "/api/gan/schema/?format=json"
METHODS = ("get", "post", "put", "patch", "delete")


def schema() -> dict[str, Any]:
    """The OpenAPI document, exactly as ``GET /api/gan/schema/?format=json`` returns it."""
    from django.test import Client

    response = Client().get(SCHEMA_URL)
    if response.status_code != 200:
        raise RuntimeError(f"{SCHEMA_URL}: HTTP {response.status_code}")
    return json.loads(response.content)


def endpoints(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) in the schema's order."""
    return [(method.upper(), path, op) for path, ops in doc["paths"].items()
            for method, op in ops.items() if method in METHODS]


def schema_ref(name: str) -> str:
    return f"{{ref}}`{name} <{label('api-schema', name)}>`"


def type_text(node: dict[str, Any] | None) -> str:
    """A schema node in a few words: ``integer``, ``array of Job``, ``string (uri) or null``."""
    if not node:
        return "any"
    if "$ref" in node:
        return schema_ref(node["$ref"].rsplit("/", 1)[-1])
    for combo, word in (("allOf", " and "), ("oneOf", " or "), ("anyOf", " or ")):
        if combo in node:
            text = word.join(type_text(part) for part in node[combo])
            return f"{text} or null" if node.get("nullable") else text
    kind = node.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        text = f"array of {type_text(node.get('items'))}"
    else:
        text = kind + (f" ({node['format']})" if node.get("format") else "")
    if node.get("enum"):
        text += ": " + ", ".join(code(json.dumps(v)) for v in node["enum"] if v is not None)
    if node.get("nullable"):
        text += " or null"
    return text


def limits(node: dict[str, Any]) -> str:
    bits = [f"{word} {node[key]}" for key, word in (
        ("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"),
        ("maxLength", "length ≤"), ("minItems", "items ≥"), ("maxItems", "items ≤"))
        if key in node]
    if "default" in node:
        bits.append(f"default {code(json.dumps(node['default']))}")
    return f" ({', '.join(bits)})" if bits else ""


def fields_table(node: dict[str, Any]) -> str:
    required = set(node.get("required", ()))
    rows = [[code(name), type_text(prop) + limits(prop),
             "yes" if name in required else "", "yes" if prop.get("readOnly") else "",
             prose(prop.get("description", ""))]
            for name, prop in node.get("properties", {}).items()]
    if not rows:
        return ""
    return table(["field", "type", "required", "read-only", "description"], rows)


def body_schema(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for media, entry in content.items():
        if "schema" in entry:
            return media, entry["schema"]
    return next(((media, {}) for media in content), None)


def endpoint_section(method: str, path: str, op: dict[str, Any]) -> str:
    title = f"#### `{method} {path}`\n\n"
    text = [f"({label('api', op['operationId'])})=\n{title}"]
    if op.get("summary"):
        text.append(f"**{prose(op['summary'])}**\n\n")
    if op.get("description"):
        text.append(f"{prose(op['description'])}\n\n")
    params = op.get("parameters", [])
    if params:
        text.append(table(["parameter", "in", "type", "required", "description"], [
            [code(p["name"]), p["in"], type_text(p.get("schema")),
             "yes" if p.get("required") else "", prose(p.get("description", ""))]
            for p in params]) + "\n")
    body = op.get("requestBody")
    if body:
        media, node = body_schema(body["content"])
        text.append(f"Request body ({code(media)}{', required' if body.get('required') else ''}):"
                    f" {type_text(node)}\n\n")
    responses = [[code(status), prose(resp.get("description", "")),
                  type_text(body_schema(resp["content"])[1]) if resp.get("content") else "—"]
                 for status, resp in sorted(op.get("responses", {}).items())]
    text.append(table(["status", "meaning", "body"], responses))
    return "".join(text)


def render(doc: dict[str, Any] | None = None) -> str:
    doc = doc or schema()
    by_tag: dict[str, list[str]] = {}
    for method, path, op in endpoints(doc):
        tag = (op.get("tags") or ["other"])[0]
        by_tag.setdefault(tag, []).append(endpoint_section(method, path, op))
    overview = table(["method and path", "what it does"], [
        [f"{{ref}}`{method} {cell(path)} <{label('api', op['operationId'])}>`",
         prose(op.get("summary", ""))] for method, path, op in endpoints(doc)])
    parts = [f"{prose(doc['info'].get('description', ''))}\n\n{overview}",
             "## Endpoints\n"]
    for tag, sections in by_tag.items():
        parts.append(f"({label('api-tag', tag)})=\n### `{tag}`\n")
        parts.extend(sections)
    parts.append("## Schemas\n")
    for name, node in doc.get("components", {}).get("schemas", {}).items():
        intro = prose(node.get("description", ""))
        shape = fields_table(node) or f"{type_text(node)}\n"
        parts.append(f"({label('api-schema', name)})=\n### `{name}`\n\n"
                     + (f"{intro}\n\n" if intro else "") + shape)
    return "\n".join(parts)
