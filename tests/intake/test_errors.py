"""Each bad input gives a clear error code, never a crash and never a hang."""
import struct
import zlib

import pytest
from PIL import Image

import intake
from intake.isolate import Worker
from tests.intake.conftest import LICENSE_CARD, make_image, make_pdf


def code(path):
    e = intake.extract(path)
    assert e.error is not None, e
    assert e.error["message"]
    return e.error["code"]


def test_zero_bytes(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"")
    assert code(tmp_path / "a.pdf") == "empty"


def test_missing_file(tmp_path):
    assert code(tmp_path / "nope.pdf") == "not_found"


def test_not_a_pdf_named_pdf(tmp_path):
    (tmp_path / "a.pdf").write_text("Dear HR, here is my certificate.\n" * 20)
    assert code(tmp_path / "a.pdf") == "unsupported_type"


def test_truncated_pdf(tmp_path, card_pdf):
    data = card_pdf.read_bytes()
    (tmp_path / "t.pdf").write_bytes(data[: len(data) // 3])
    assert code(tmp_path / "t.pdf") == "unreadable"


def test_corrupt_pdf(tmp_path):
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert code(tmp_path / "c.pdf") == "unreadable"


def test_a_pages_tree_that_contains_itself_is_unreadable(tmp_path):
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n" + b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    (tmp_path / "loop.pdf").write_bytes(bytes(out))
    assert code(tmp_path / "loop.pdf") == "unreadable"


def test_encrypted_pdf(tmp_path):
    # Standard security handler whose /U does not match the empty user password.
    encrypt = "/Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /P -4 " \
              f"/O <{'11' * 32}> /U <{'22' * 32}> >> /ID [<{'33' * 16}> <{'33' * 16}>] "
    pdf = make_pdf(tmp_path / "e.pdf", [LICENSE_CARD], extra_trailer=encrypt)
    assert code(pdf) == "encrypted"


def test_too_many_pages(tmp_path):
    pdf = make_pdf(tmp_path / "many.pdf", [[(72, 72, 12, f"page {i}")] for i in range(300)])
    assert code(pdf) == "too_many_pages"


def test_pixel_bomb_image(tmp_path):
    Image.new("1", (9000, 9000), 1).save(tmp_path / "bomb.png")   # 81 MP, a few KB on disk
    assert code(tmp_path / "bomb.png") == "too_large"


def test_truncated_image(tmp_path):
    make_image(tmp_path / "x.jpg", [(50, 50, 40, "hello")])
    data = (tmp_path / "x.jpg").read_bytes()
    (tmp_path / "y.jpg").write_bytes(data[:200])
    assert code(tmp_path / "y.jpg") == "unreadable"


def test_missing_tesseract(tmp_path, monkeypatch):
    import pytesseract
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    img = make_image(tmp_path / "s.png", [(50, 50, 40, "Certificate")])
    assert code(img) == "ocr_unavailable"


def test_timeout_in_isolated_worker(tmp_path):
    img = make_image(tmp_path / "slow.png", [(60, 60 + 50 * i, 36, f"Line {i} of a long certificate text")
                                             for i in range(18)])
    worker = Worker()
    try:
        result = worker.extract(str(img), timeout=0.3)
        assert result.error["code"] == "timeout"
        # the worker is replaced: the next document still works
        ok = worker.extract(str(make_pdf(tmp_path / "c.pdf", [LICENSE_CARD])), timeout=60)
        assert ok.error is None and ok.license_number == "HVW-40917"
    finally:
        worker.close()


def test_memory_limit_stops_a_big_decode(tmp_path):
    Image.new("L", (7000, 7000), 255).save(tmp_path / "big.png")   # under the pixel cap, 49 MB decoded
    worker = Worker(memory_mb=200)
    try:
        result = worker.extract(str(tmp_path / "big.png"), timeout=60)
        assert result.error["code"] == "too_large"
        ok = worker.extract(str(make_pdf(tmp_path / "c.pdf", [LICENSE_CARD])), timeout=60)
        assert ok.error is None       # a fresh worker after the failure
    finally:
        worker.close()


@pytest.mark.parametrize("head, media", [
    (b"%PDF-1.7\n", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff\xe0", "image/jpeg"),
    (b"II*\x00", "image/tiff"), (b"\x00\x00\x00\x18ftypheic", "image/heic"), (b"PK\x03\x04", None),
])
def test_sniff_by_content(tmp_path, head, media):
    path = tmp_path / "file.pdf"          # the extension never decides
    path.write_bytes(head + b"\x00" * 64)
    assert intake.sniff(path) == media


def _deflate_bomb(n_mb: int) -> bytes:
    """A zlib stream of ``n_mb`` MiB of zero bytes, built in milliseconds.

    One full-flushed deflate block of 1 MiB of zeros is repeated (after a
    full flush a block does not depend on what came before), then an empty
    final block and the Adler-32 of n zero bytes (a = 1, b = n mod 65521).
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(b"\0" * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    n = n_mb << 20
    return b"\x78\xda" + block * n_mb + b"\x03\x00" + struct.pack(">I", ((n % 65521) << 16) | 1)


def _bomb_pdf(path, kind: str, n_mb: int):
    data = _deflate_bomb(n_mb)
    if kind == "image":     # a gray image XObject declaring (and inflating to) n_mb MiB of pixels
        side = int((n_mb << 20) ** 0.5)
        target = (f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /ColorSpace /DeviceGray "
                  f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(data)} >>\nstream\n").encode() + data
        content, resources = b"q 612 0 0 792 0 0 cm /Im1 Do Q", "/XObject << /Im1 4 0 R >>"
        contents = f"<< /Length {len(content)} >>\nstream\n".encode() + content
    else:                   # a page content stream inflating to n_mb MiB (NUL is PDF whitespace)
        target, resources = b"<< >>\nstream\n", ""
        contents = f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << {resources} >> "
            f"/Contents 5 0 R >>".encode(), target + b"\nendstream", contents + b"\nendstream"]
    if kind != "image":
        objs[3] = b"<< >>"
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def test_deflate_bomb_helper_inflates_as_declared():
    d = zlib.decompressobj()
    total = sum(len(d.decompress(chunk, 1 << 24)) for chunk in [_deflate_bomb(8)])
    total += len(d.flush())
    assert total == 8 << 20 and d.eof


@pytest.mark.parametrize("kind", ["image", "content"])
def test_pdf_decompression_bomb_in_isolated_worker(tmp_path, kind):
    pdf = _bomb_pdf(tmp_path / f"bomb_{kind}.pdf", kind, 1024)    # ~1 MB on disk, 1 GiB inflated
    assert pdf.stat().st_size < 2_000_000
    worker = Worker(memory_mb=400)
    try:
        result = worker.extract(str(pdf), timeout=30)
        assert result.error is not None and result.error["code"] in ("too_large", "unreadable", "timeout")
        ok = worker.extract(str(make_pdf(tmp_path / "c.pdf", [LICENSE_CARD])), timeout=60)
        assert ok.error is None and ok.license_number == "HVW-40917"   # the worker still (or again) works
    finally:
        worker.close()


def test_hints_are_learned_in_the_isolated_worker_and_its_limits_hold(tmp_path):
    """Learning from a correction reads the document again: in the worker,
    so a slow or hostile file cannot take the consumer down with it."""
    import intake

    card = make_pdf(tmp_path / "c.pdf", [LICENSE_CARD])
    read = intake.extract(card).to_dict()
    worker = Worker()
    try:
        hint = worker.hint(read, "license_number", "HVW-40917", timeout=60)
        assert hint == intake.hints_from_correction(read, "license_number", "HVW-40917")
        assert hint["bbox"]
        slow = make_image(tmp_path / "slow.png", [(60, 60 + 50 * i, 36, f"Line {i} of a long certificate text")
                                                 for i in range(18)])
        with pytest.raises(intake.IntakeError) as failed:
            worker.hint(dict(read, path=str(slow)), "license_number", "HVW-40917", timeout=0.3)
        assert failed.value.code == "timeout"
        with pytest.raises(intake.IntakeError) as refused:
            worker.hint(read, "issuer_code", "X", timeout=60)  # no hints for that field
        assert refused.value.code == "internal" and "issuer_code" in refused.value.message
        assert worker.hint(read, "license_number", "HVW-40917", timeout=60) == hint  # a fresh worker
    finally:
        worker.close()
