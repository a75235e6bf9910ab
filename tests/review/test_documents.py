"""Storing uploads and reading them: the Document row owns the job's state."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Document, Extraction
from portal.services import documents
from tests.review.conftest import bls


def _stored_files():
    root = documents.upload_root()
    return [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"]


def _temporary_files():
    return [p for p in (documents.upload_root() / "tmp").rglob("*") if p.is_file()]


def _upload(org, data, name="cert.pdf", **kw):
    return documents.upload(io.BytesIO(data), name, org.employee, org.employee_user, **kw)


def test_upload_stores_content_addressed_outside_static_and_reads_it(app, org, pdf_bytes):
    data = pdf_bytes()
    document = _upload(org, data)
    db.session.refresh(document)
    path = documents.stored_path(document.sha256)
    assert path.read_bytes() == data
    assert "static" not in path.parts and path.suffix == ""
    assert document.media_type == "application/pdf"
    # huey.immediate: the task ran after the commit
    assert document.state == "needs_review" and document.attempts == 1
    extraction = document.latest_extraction
    assert extraction.fields["license_number"] == "2B7Q-44KD-91XZ"
    assert extraction.evidence["license_number"]["bbox"]
    assert document.credential_type_id is None or document.credential_type_id == org.bls.id
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(document.id))).all()
    assert "document.uploaded" in actions and "document.read" in actions


def test_a_scanned_certificate_is_read_by_ocr(app, org, scan_bytes):
    document = _upload(org, scan_bytes(), "phone-photo.png")
    db.session.refresh(document)
    assert document.state == "needs_review"
    assert document.latest_extraction.method == "ocr"
    assert document.latest_extraction.fields["holder_name"] == "Erin Employee"
    assert documents.preview_path(document, 1).exists(), "the job renders the preview"


def test_the_same_file_twice_is_refused_with_a_link_to_the_first(app, org, pdf_bytes):
    first = _upload(org, pdf_bytes())
    with pytest.raises(documents.UploadRefused) as refused:
        _upload(org, pdf_bytes(), "again.pdf")
    assert refused.value.code == "duplicate" and refused.value.existing.id == first.id
    assert db.session.scalar(select(func.count(Document.id))) == 1


def test_the_same_file_for_another_person_is_stored_once_on_disk(app, org, pdf_bytes):
    first = _upload(org, pdf_bytes())
    second = documents.upload(io.BytesIO(pdf_bytes()), "x.pdf", org.outsider, org.outsider_user)
    assert first.sha256 == second.sha256 and first.id != second.id
    assert len(_stored_files()) == 1


@pytest.mark.parametrize("data, name, code", [
    (b"", "empty.pdf", "empty"),
    (b"<html><script>alert(1)</script></html>", "certificate.pdf", "wrong_type"),
    (b"MZ\x90\x00" + b"\x00" * 200, "photo.png", "wrong_type"),
    (b"GIF89a" + b"\x00" * 100, "card.gif", "wrong_type"),
    (b"%!PS-Adobe-3.0\n", "scan.pdf", "wrong_type"),
])
def test_hostile_and_useless_files_are_refused_and_not_kept(app, org, data, name, code):
    with pytest.raises(documents.UploadRefused) as refused:
        _upload(org, data, name)
    assert refused.value.code == code
    assert db.session.scalar(select(func.count(Document.id))) == 0
    assert _stored_files() == [] and _temporary_files() == []


def test_oversize_files_are_refused_before_they_are_kept(app, org):
    app.config["MAX_UPLOAD_BYTES"] = 4096
    with pytest.raises(documents.UploadRefused) as refused:
        _upload(org, b"%PDF-1.4\n" + b"0" * 5000)
    assert refused.value.code == "too_large" and "MB" in refused.value.message
    assert _stored_files() == [] and _temporary_files() == []


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\me\\cert.pdf", "cert.pdf"),
    ("..\u202ecod.exe.pdf", "cod.exe.pdf"),
    ("", "document"),
    ("/", "document"),
])
def test_path_like_names_are_only_display_names(app, org, pdf_bytes, name, expected):
    document = _upload(org, pdf_bytes(), name)
    assert document.original_name == expected
    assert documents.stored_path(document.sha256).parent.parent.parent == documents.upload_root()


def test_a_document_the_pipeline_cannot_read_lands_in_review_as_could_not_read(app, org, pdf_bytes):
    data = pdf_bytes()
    document = _upload(org, data[: len(data) // 3], "truncated.pdf")
    db.session.refresh(document)
    assert document.state == "failed"
    assert document.last_error_code and document.last_error
    assert document.latest_extraction.error_code == document.last_error_code


def test_reading_twice_changes_nothing(app, org, pdf_bytes):
    document = _upload(org, pdf_bytes())
    assert documents.read(document.id) is None  # not queued any more: the task is a no-op
    assert db.session.scalar(select(func.count(Extraction.id))) == 1


def test_renewal_upload_names_the_type_and_the_credential(app, org, pdf_bytes):
    from tests.support import factories

    old = factories.credential(org.employee, org.bls)
    db.session.commit()
    document = _upload(org, pdf_bytes(), renews=old)
    assert document.renews_credential_id == old.id and document.credential_type_id == org.bls.id
    other = factories.credential(org.outsider, org.bls)
    db.session.commit()
    with pytest.raises(documents.UploadRefused):
        _upload(org, pdf_bytes(bls(number="X")), renews=other)


@pytest.mark.parametrize("name", ["d019.pdf", "d014.png", "d010.pdf"])
def test_sample_certificates_reach_the_review_queue_with_what_was_read(app, org, corpus, name):
    import json

    label = next(x for x in json.loads((corpus / "labels.json").read_text()) if x["file"] == name)
    with open(corpus / name, "rb") as fh:
        document = documents.upload(fh, name, org.employee, org.employee_user)
    db.session.refresh(document)
    assert document.state == "needs_review", document.last_error
    fields = document.latest_extraction.fields
    assert fields["issuer"] and fields["holder_name"]
    from intake.directory import fold

    assert fold(label["holder_name"]).split()[-1] in fold(fields["holder_name"])  # accents aside
    if label["credential_type"] == "BLS Provider":
        # the pipeline's type code maps onto the portal's taxonomy row
        assert document.credential_type_id == org.bls.id
