"""How an uploaded file's name is shown: the person's name, the content's extension.

The bytes decide what a file is (it is sniffed at upload), so a PDF named
``x.pdf.php`` is stored as a PDF and shown as ``x.pdf``: a name never claims
a type the content does not have.
"""
from __future__ import annotations

# The extension each accepted type is shown with, and the spellings it may keep.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/tiff": (".tif", ".tiff"),
    "image/heic": (".heic", ".heif"),
    "image/svg+xml": (".svg",),
    "application/json": (".json",),
    "application/jwt": (".jwt",),
}


def display_name(name: str, media_type: str | None) -> str:
    """``name`` ending with an extension of ``media_type`` (the first one by default)."""
    allowed = EXTENSIONS.get(media_type or "")
    if not allowed:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and f".{ext.lower()}" in allowed:
        return name
    stem = stem if dot and stem else name
    if any(stem.lower().endswith(e) for e in allowed):
        return stem
    return stem + allowed[0]
