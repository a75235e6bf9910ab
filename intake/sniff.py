"""Content-based type detection: the bytes decide, never the file name."""
from __future__ import annotations

import os

PDF, PNG, JPEG, TIFF, HEIC, GIF, BMP, WEBP = (
    "application/pdf", "image/png", "image/jpeg", "image/tiff", "image/heic",
    "image/gif", "image/bmp", "image/webp")
IMAGE_TYPES = (PNG, JPEG, TIFF, HEIC, GIF, BMP, WEBP)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}


def sniff_bytes(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None if unknown."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:2] == b"BM":
        return BMP
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    # At offset 0, as strict PDF readers want: lenient ones accept it anywhere
    # in the first KiB, which lets an HTML page with "%PDF-" in it pass as a PDF.
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def sniff(path: str | os.PathLike) -> str | None:
    """The media type of the file at ``path`` judged by content, or None."""
    try:
        with open(path, "rb") as fh:
            return sniff_bytes(fh.read(1024))
    except OSError:
        return None
