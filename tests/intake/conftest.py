"""Small documents made in the tests: PDFs written by hand, images drawn with Pillow."""
from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "corpus" / "dev"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(path: Path, pages: list[list[tuple[float, float, float, str]]], extra_trailer: str = "",
             size=(612, 792)) -> Path:
    """A PDF with Helvetica text: each page is a list of (x, y_from_top, font_size, text)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for lines in pages:
        stream = "".join(f"BT /F1 {s} Tf {x} {size[1] - y} Td ({_esc(t)}) Tj ET\n" for x, y, s, t in lines)
        data = zlib.compress(stream.encode("latin-1"))
        objs.append(f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode("latin-1") + data + b"\nendstream")
        content = len(objs)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]} {size[1]}] "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>")
        kids.append(len(objs))
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        body = obj if isinstance(obj, bytes) else obj.encode("latin-1")
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R {extra_trailer}>>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def make_image(path: Path, lines: list[tuple[int, int, int, str]], size=(1700, 1100), rotate: int = 0) -> Path:
    """A white page with black text: lines of (x, y, font px, text); optionally turned clockwise."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    for x, y, px, text in lines:
        draw.text((x, y), text, fill=0, font=ImageFont.truetype(FONT, px))
    if rotate:
        img = img.rotate(-rotate, expand=True, fillcolor=255)
    img.save(path)
    return path


LICENSE_CARD = [
    (72, 60, 18, "Harbor Valley Welding Institute"),
    (72, 130, 14, "Certificate of Completion"),
    (72, 190, 11, "Holder Name:"), (200, 190, 11, "RIVERA, MARTA L"),
    (72, 215, 11, "Certificate No.:"), (200, 215, 11, "HVW-40917"),
    (72, 240, 11, "Candidate ID:"), (200, 240, 11, "5550123"),
    (72, 265, 11, "Date of Birth:"), (200, 265, 11, "03/04/1985"),
    (72, 290, 11, "Issue Date:"), (200, 290, 11, "06/15/2023"),
    (72, 315, 11, "Expiration Date:"), (200, 315, 11, "06/30/2026"),
]


@pytest.fixture
def card_pdf(tmp_path):
    return make_pdf(tmp_path / "card.pdf", [LICENSE_CARD])


def corpus_or_skip() -> Path:
    if not (CORPUS / "labels.json").exists():
        pytest.skip(f"sample corpus not found at {CORPUS}")
    return CORPUS
