"""Error codes for documents the pipeline cannot read. Never a crash, never a hang."""
from __future__ import annotations

MESSAGES = {
    "not_found": "The file does not exist.",
    "empty": "The file is empty (zero bytes).",
    "unsupported_type": "This kind of file is not supported; upload a PDF, PNG, JPEG, TIFF or HEIC.",
    "encrypted": "The PDF is password-protected; upload an unprotected copy.",
    "unreadable": "The file is damaged or truncated and cannot be read.",
    "too_many_pages": "The document has too many pages for a certificate.",
    "too_large": "The document is too large to process (pixels, memory or decompressed size).",
    "ocr_unavailable": "Text recognition (Tesseract) is not installed on the server.",
    "timeout": "Reading the document took too long.",
    "internal": "The document could not be processed because of an internal error.",
}


class IntakeError(Exception):
    """A document-level failure with a stable ``code`` and a human ``message``."""

    def __init__(self, code: str, message: str | None = None):
        self.code = code
        self.message = message or MESSAGES.get(code, code)
        super().__init__(f"{code}: {self.message}")

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
