"""The data the pipeline passes around: words, pages and the extraction result.

Coordinates: every bbox is ``[x0, top, x1, bottom]`` in fractions (0..1) of the
orientation-corrected page image that ``intake.render_page`` returns, so the
review UI can overlay evidence at any size. Words additionally carry deskewed
layout coordinates (``lx``, ``ly`` centre, same fractions) used only for
reasoning about lines and columns.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FIELDS = ("issuer", "holder_name", "license_number", "credential_type", "issue_date", "expiry_date")


@dataclass
class Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    page: int                 # 1-based
    conf: float = 1.0         # 0..1; 1.0 for born-digital text
    size: float = 0.0         # font size / glyph height as a fraction of page height
    lx: float | None = None   # deskewed centre x (defaults to bbox centre)
    ly: float | None = None   # deskewed centre y

    def __post_init__(self) -> None:
        if self.lx is None:
            self.lx = (self.x0 + self.x1) / 2
        if self.ly is None:
            self.ly = (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Page:
    number: int                 # 1-based
    words: list[Word]
    method: str                 # "text" | "ocr"
    width_px: int = 0           # size of the page image the bboxes refer to (at 72 dpi for PDFs)
    height_px: int = 0
    rotation: int = 0           # clockwise degrees applied to upright the page image
    skew: float = 0.0           # residual skew in degrees (words deskewed for layout only)
    ocr_seconds: float = 0.0


@dataclass
class Evidence:
    page: int
    bbox: list[float]
    text: str


@dataclass
class Extraction:
    path: str
    issuer: str | None = None
    holder_name: str | None = None
    license_number: str | None = None
    credential_type: str | None = None
    issue_date: str | None = None
    expiry_date: str | None = None
    expiry_predicted: bool = False
    confidence: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, Evidence | None] = field(default_factory=dict)
    method: str | None = None
    pages: int = 0
    seconds: float = 0.0
    error: dict[str, str] | None = None
    rotations: list[int] = field(default_factory=list)
    issuer_code: str | None = None           # directory code when the issuer is listed
    credential_type_code: str | None = None  # directory code when the type is listed
    codes: list[dict] = field(default_factory=list)  # barcodes/QR: {"format", "text", "url", "page", "bbox"}
    date_order: str | None = None            # "DMY" | "MDY" | "YMD": how the numeric dates were read
    date_order_reason: str | None = None     # one plain sentence: why that order
    ambiguous: list[str] = field(default_factory=list)  # date fields whose value rests on a locale guess only
    hints_used: int = 0                      # reviewers' hints the fields were read with (intake.hints)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Extraction":
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        known["evidence"] = {k: (Evidence(**v) if isinstance(v, dict) else v)
                             for k, v in (d.get("evidence") or {}).items()}
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        d["confidence"] = {k: round(v, 3) for k, v in self.confidence.items()}
        return d


def rotate_box(x0: float, top: float, x1: float, bottom: float, clockwise: int) -> tuple[float, float, float, float]:
    """A box in page fractions after turning the page ``clockwise`` degrees (0/90/180/270)."""
    if clockwise == 90:
        return 1 - bottom, x0, 1 - top, x1
    if clockwise == 180:
        return 1 - x1, 1 - bottom, 1 - x0, 1 - top
    if clockwise == 270:
        return top, 1 - x1, bottom, 1 - x0
    return x0, top, x1, bottom
