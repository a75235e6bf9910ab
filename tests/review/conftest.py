"""Fixtures for the upload, review and registry tests: real files, real pipeline."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from portal.demo.documents import Certificate, certificate_pdf, certificate_png

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "dev"


@pytest.fixture
def corpus() -> Path:
    if not (CORPUS / "labels.json").exists():
        pytest.skip(f"the sample corpus is not at {CORPUS.resolve()} (../shared/corpus/dev)")
    return CORPUS.resolve()


def lakeside(holder="Jordan Q. Example", number="LK-88812", issued=date(2025, 3, 1)) -> Certificate:
    """An employer's certificate whose number label the pipeline does not know."""
    return Certificate("Lakeside Distribution Co.", "Forklift Operator Certification", holder, number, issued,
                       date(issued.year + 3, issued.month, issued.day), number_label="Operator Token:")


def bls(holder="Erin Employee", number="2B7Q-44KD-91XZ", issued=date(2025, 3, 1)) -> Certificate:
    return Certificate("American Heart Association", "BLS Provider", holder, number, issued,
                       date(issued.year + 2, issued.month, issued.day), number_label="eCard Code:")


@pytest.fixture
def pdf_bytes():
    return lambda cert=None: certificate_pdf(cert or bls())


@pytest.fixture
def scan_bytes():
    return lambda cert=None, seed=1: certificate_png(cert or bls(), scanned=True, seed=seed)


def upload_file(client, data: bytes, name: str, headers=None, **form):
    """POST one file to the employee's upload form, as the browser would."""
    return client.post("/me/upload", data={"files": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data", headers=headers or {})



@pytest.fixture(autouse=True)
def review_day():
    """Review tests print fixed dates (an expiry in 2027): they run on a fixed
    day, ticking, so the guard rails judge them alike on any calendar day."""
    import time_machine

    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=timezone.utc), tick=True):
        yield
