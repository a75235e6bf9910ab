"""A browsable page for the OpenAPI document, rendered on the server.

Swagger UI and ReDoc load scripts from CDNs, which the portal's CSP
(``script-src 'self'``) forbids; this page reads the same generated document
and needs no JavaScript.
"""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("api_browse", __name__)
METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def _resolve(spec: dict, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(spec: dict) -> list[dict]:
    ops = []
    for path, item in spec.get("paths", {}).items():
        for method in METHOD_ORDER:
            op = item.get(method)
            if not op:
                continue
            body = op.get("requestBody", {}).get("content", {})
            media, content = next(iter(body.items()), (None, {}))
            ops.append({
                "path": path, "method": method.upper(), "summary": op.get("summary", ""),
                "description": op.get("description", ""), "tag": (op.get("tags") or ["other"])[0],
                "scope": op.get("x-required-scope"),
                "parameters": [_resolve(spec, p) for p in item.get("parameters", []) + op.get("parameters", [])],
                "body_media": media,
                "body_schema": _schema_name(content.get("schema")),
                "responses": {code: (r.get("description") if isinstance(r, dict) else "")
                              for code, r in sorted(op.get("responses", {}).items())},
                "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
            })
    return ops


def _schema_name(schema) -> str | None:
    if not schema:
        return None
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    return schema.get("type")


@bp.route("/docs")
def browse():
    from portal.api import current_api

    spec = current_api().spec.to_dict()
    ops = operations(spec)
    tags = []
    for op in ops:
        if op["tag"] not in tags:
            tags.append(op["tag"])
    return render_template("integrations/api_docs.html", spec=spec, ops=ops, tags=tags,
                           schemas=spec.get("components", {}).get("schemas", {}))
