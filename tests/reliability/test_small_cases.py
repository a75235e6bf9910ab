"""The smaller cases of issue 16: polyglot files, misleading names, the result store."""
from __future__ import annotations

import io

import pytest

from portal.extensions import db
from portal.models import Document
from portal.services import documents
from portal.demo.documents import certificate_pdf
from tests.review.conftest import bls


def test_an_html_page_with_a_pdf_header_inside_is_not_a_pdf(app, org):
    polyglot = b"<html><body><script>alert(1)</script><!-- %PDF-1.4 --></body></html>\n" + b" " * 200
    with pytest.raises(documents.UploadRefused) as refused:
        documents.upload(io.BytesIO(polyglot), "cert.pdf", org.employee, org.employee_user)
    assert refused.value.code == "wrong_type"
    assert db.session.query(Document).count() == 0


def test_a_pdf_named_like_a_script_is_shown_with_its_real_extension(app, org, employee_client):
    document = documents.upload(io.BytesIO(certificate_pdf(bls())), "x.pdf.php", org.employee,
                                org.employee_user)
    assert document.original_name == "x.pdf.php"  # what the person sent is kept
    assert document.display_name == "x.pdf"
    page = employee_client.get(f"/me/documents/{document.id}").get_data(as_text=True)
    assert "x.pdf.php" not in page and "x.pdf" in page
    download = employee_client.get(f"/documents/{document.id}/file")
    assert 'filename=x.pdf' in download.headers["Content-Disposition"]
    assert ".php" not in download.headers["Content-Disposition"]


@pytest.mark.parametrize("name, media_type, shown", [
    ("x.pdf.php", "application/pdf", "x.pdf"),
    ("scan.JPEG", "image/jpeg", "scan.JPEG"),
    ("photo.png", "image/jpeg", "photo.jpg"),
    ("licence", "application/pdf", "licence.pdf"),
    ("report.final", "image/tiff", "report.tif"),
])
def test_display_names_carry_the_sniffed_extension(name, media_type, shown):
    from portal.policies.file_names import display_name

    assert display_name(name, media_type) == shown


def test_sending_an_email_leaves_nothing_in_the_result_store(app, org):
    """Huey's real storage (not immediate mode) running the real send task."""
    from jobs.queue import huey
    from portal.models import Notification
    from portal.services import mailer

    huey.immediate = False
    huey.flush()
    try:
        note = Notification(unique_key="probe:1", kind="invite", person_id=org.employee.id,
                            recipient_person_id=org.employee.id, recipient_email="erin@example.org",
                            subject="Probe", context={"message": "hello"})
        mailer.queue(note)
        db.session.commit()
        task = huey.dequeue()
        assert task is not None and task.name.endswith("send_notification")
        huey.execute(task)
        db.session.refresh(note)
        assert note.state == "sent"
        assert huey.result_count() == 0
    finally:
        huey.flush()
        huey.immediate = True
