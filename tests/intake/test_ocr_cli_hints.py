"""OCR with real Tesseract on generated images, the CLI contract, and reviewer hints."""
import json
import shutil
import subprocess
import sys

import pytest

import intake
from tests.intake.conftest import REPO, make_image, make_pdf

CARD = [(80, 60, 44, "Northwind Crane Safety Council"),
        (80, 170, 34, "Operator Name: Grace Okafor"),
        (80, 240, 34, "Certificate Number: NCS-208814"),
        (80, 310, 34, "Issue Date: 03/14/2024"),
        (80, 380, 34, "Expiration Date: 03/14/2029")]


@pytest.mark.parametrize("turn", [0, 90])
def test_ocr_reads_a_generated_card(tmp_path, turn):
    img = make_image(tmp_path / f"card{turn}.png", CARD, rotate=turn)
    e = intake.extract(img)
    assert e.error is None and e.method == "ocr"
    assert e.rotations == [(360 - turn) % 360]
    assert e.holder_name == "Grace Okafor"
    assert e.license_number == "NCS-208814"
    assert (e.issue_date, e.expiry_date) == ("2024-03-14", "2029-03-14")
    # evidence lines up with the upright page preview
    page = intake.render_page(img, 1, rotation=e.rotations[0])
    assert page.width > page.height
    x0, top, x1, bottom = e.evidence["license_number"].bbox
    assert 0.15 < x0 < x1 < 0.6 and 0.15 < top < bottom < 0.3


def test_cli_contract(tmp_path, card_pdf):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"")
    out = subprocess.run([sys.executable, "-m", "intake", "--jobs", "2", str(card_pdf), str(bad)],
                         cwd=REPO, capture_output=True, text=True, timeout=120, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["path"] for r in rows] == [str(card_pdf), str(bad)]
    keys = {"path", "issuer", "holder_name", "license_number", "credential_type", "issue_date", "expiry_date",
            "expiry_predicted", "confidence", "evidence", "method", "pages", "seconds", "error"}
    assert keys <= set(rows[0])
    assert rows[0]["license_number"] == "HVW-40917" and rows[0]["error"] is None
    assert set(rows[0]["evidence"]["license_number"]) == {"page", "bbox", "text"}
    assert rows[1]["error"]["code"] == "empty"


def _member_card(path, number):
    return make_pdf(path, [[
        (72, 60, 16, "Lakeshore Rigging Guild"),
        (72, 120, 11, "Member: Tomas Berg"),
        (72, 145, 11, "Reference: 44-1"),
        (72, 170, 11, "Guild Folio"), (200, 170, 11, number),
        (72, 195, 11, "Issue Date: 01/05/2024"),
    ]])


def test_hint_from_correction_fixes_the_next_document(tmp_path):
    first = _member_card(tmp_path / "a.pdf", "LRG 5521-7")
    wrong = intake.extract(first)
    assert wrong.license_number != "LRG 5521-7"      # "Guild Folio" is no label the pipeline knows
    hint = intake.hints_from_correction(wrong.to_dict(), "license_number", "LRG 5521-7")
    assert hint["label"] == "Guild Folio" and hint["field"] == "license_number"
    json.dumps(hint)                                  # the portal stores it as JSON
    second = _member_card(tmp_path / "b.pdf", "LRG 9040-2")
    assert intake.extract(second).license_number != "LRG 9040-2"
    right = intake.extract(second, hints=[hint])
    assert right.license_number == "LRG 9040-2"
    assert right.confidence["license_number"] >= 0.9


def test_heic_photo_is_read(tmp_path):
    from intake.readers import HEIF_SUPPORTED
    if not HEIF_SUPPORTED:
        pytest.skip("pillow-heif is not installed on this server")
    from PIL import Image
    png = make_image(tmp_path / "card.png", CARD)
    Image.open(png).convert("RGB").save(tmp_path / "card.heic", quality=90)
    assert intake.sniff(tmp_path / "card.heic") == "image/heic"
    e = intake.extract(tmp_path / "card.heic")
    assert e.error is None and e.method == "ocr"
    assert e.license_number == "NCS-208814"
    assert (e.issue_date, e.expiry_date) == ("2024-03-14", "2029-03-14")


FORKED_WORKER_SCRIPT = """
import json, sys
from intake.isolate import Worker
worker = Worker(fork=True)
worker.start()
with open(f"/proc/{worker.proc.pid}/cmdline", "rb") as child, open("/proc/self/cmdline", "rb") as me:
    forked = child.read() == me.read()
read = worker.extract(sys.argv[1], timeout=60)
missing = worker.extract(sys.argv[2], timeout=60)
worker.close()
print(json.dumps({"forked": forked, "error": read.error, "number": read.license_number,
                  "missing": missing.error["code"], "closed": worker.proc is None}))
"""


def test_a_forked_worker_reads_without_starting_an_interpreter(tmp_path, card_pdf):
    # A fresh interpreter: Worker forks only while its process has one thread,
    # and this test process has live-server and pool threads left by others.
    done = subprocess.run([sys.executable, "-c", FORKED_WORKER_SCRIPT, str(card_pdf), str(tmp_path / "missing.pdf")],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["forked"]      # a fork of the parent, not `python -m intake.worker`
    assert outcome["error"] is None and outcome["number"] == "HVW-40917"
    assert outcome["missing"] == "not_found"
    assert outcome["closed"]


def test_cli_starts_one_interpreter(tmp_path, card_pdf):
    strace = shutil.which("strace")
    if not strace:
        pytest.skip("strace is not installed")
    trace = tmp_path / "trace"
    subprocess.run([strace, "-f", "-qq", "-e", "trace=execve", "-o", str(trace), sys.executable, "-m", "intake",
                    "--jobs", "2", str(card_pdf), str(card_pdf)], cwd=REPO, capture_output=True, timeout=120,
                   check=True)
    interpreters = [ln for ln in trace.read_text().splitlines()
                    if "execve(" in ln and "python" in ln and ln.endswith("= 0")]
    assert len(interpreters) == 1, interpreters
