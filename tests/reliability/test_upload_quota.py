"""Each uploader has a quota: files per hour, bytes per day; past it, nothing is stored."""
from __future__ import annotations

import io
from pathlib import Path

from portal.extensions import db
from portal.models import Document
from portal.services import api_tokens


def _pdf(n: int, padding: int = 0) -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n%" + str(n).encode() + b" " * padding + b"\n"


def _stored_files(app) -> int:
    root = Path(app.config["UPLOAD_FOLDER"])
    return sum(1 for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts)


def _send(client, body: bytes, name: str):
    return client.post("/me/upload", data={"files": (io.BytesIO(body), name)},
                       content_type="multipart/form-data", headers={"HX-Request": "true"})


def test_the_upload_form_refuses_files_past_the_hourly_count(app, org, employee_client):
    app.config["UPLOADS_PER_HOUR"] = 2
    for n in (1, 2):
        assert _send(employee_client, _pdf(n), f"c{n}.pdf").status_code == 200
    refused = _send(employee_client, _pdf(3), "c3.pdf")
    assert refused.status_code == 429
    fragment = refused.get_data(as_text=True)
    assert 'id="upload_results"' in fragment and "c3.pdf" in fragment and "Not uploaded" in fragment
    assert "2 files in the last hour" in fragment and "Nothing was kept" in fragment
    assert db.session.query(Document).count() == 2 and _stored_files(app) == 2


def test_the_upload_form_refuses_a_file_past_the_daily_bytes(app, org, employee_client):
    first = _pdf(1, padding=3000)
    app.config["UPLOAD_BYTES_PER_DAY"] = len(first) + 1000
    assert _send(employee_client, first, "big.pdf").status_code == 200
    refused = _send(employee_client, _pdf(2, padding=3000), "second.pdf")
    assert refused.status_code == 429
    assert "a day the portal takes" in refused.get_data(as_text=True)
    assert _send(employee_client, _pdf(3), "small.pdf").status_code == 200  # what fits is still taken
    assert db.session.query(Document).count() == 2 and _stored_files(app) == 2


def test_the_api_answers_429_past_the_tokens_quota(app, org, client):
    app.config["UPLOADS_PER_HOUR"] = 1
    _, secret = api_tokens.create_token("HRIS", ["documents:write"], actor=org.admin_user)
    headers = {"Authorization": f"Bearer {secret}"}

    def send(n):
        return client.post("/api/v1/documents", headers=headers, content_type="multipart/form-data",
                           data={"employee_id": org.employee.employee_id, "file": (io.BytesIO(_pdf(n)), "c.pdf")})

    assert send(1).status_code == 201
    refused = send(2)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "upload_quota_exceeded"
    assert "in the last hour" in refused.json["error"]["message"]
    assert db.session.query(Document).count() == 1 and _stored_files(app) == 1
    # another uploader has a quota of their own
    assert _send_as_employee(app, org).status_code == 200


def _send_as_employee(app, org):
    from tests.conftest import _login

    return _send(_login(app, org.employee_user), _pdf(9), "mine.pdf")
