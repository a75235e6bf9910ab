"""Tokens: hashed, revocable, scoped; cookies never authenticate; per-token rate limits."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import API_SCOPES, ApiToken, Document
from portal.services import api_tokens

# (method, path, json, the scope it needs)
OPERATIONS = [
    ("GET", "/api/v1/people", None, "people:read"),
    ("GET", "/api/v1/people/{eid}", None, "people:read"),
    ("PUT", "/api/v1/people", {"people": [{"employee_id": "S1", "first_name": "S", "last_name": "One"}]}, "people:write"),
    ("POST", "/api/v1/people/{eid}/deactivate", {}, "people:write"),
    ("GET", "/api/v1/projects", None, "projects:read"),
    ("PUT", "/api/v1/projects", {"projects": [{"code": "P1", "name": "Project"}]}, "projects:write"),
    ("PUT", "/api/v1/assignments", {"assignments": [{"project": "NOPE", "employee_id": "{eid}", "starts_on": "2025-01-01"}]}, "projects:write"),
    ("GET", "/api/v1/credentials", None, "credentials:read"),
    ("GET", "/api/v1/compliance/people/{eid}", None, "compliance:read"),
    ("GET", "/api/v1/compliance/teams/{eid}", None, "compliance:read"),
]


def _call(client, method, path, body, headers, eid):
    path = path.replace("{eid}", eid)
    if body is not None:
        import json

        body = json.loads(json.dumps(body).replace("{eid}", eid))
    return client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize("method,path,body,needed", OPERATIONS)
def test_a_token_never_acts_outside_its_scopes(client, org, make_token, method, path, body, needed):
    others = [s for s in API_SCOPES if s != needed]
    refused = _call(client, method, path, body, make_token(*others, name="others"), org.employee.employee_id)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "insufficient_scope"
    allowed = _call(client, method, path, body, make_token(needed, name="only"), org.employee.employee_id)
    assert allowed.status_code == 200, allowed.json


def test_a_write_refused_for_scope_changes_nothing(client, make_token):
    client.put("/api/v1/people", json={"people": [{"employee_id": "Z9", "first_name": "Z", "last_name": "Z"}]},
               headers=make_token("people:read"))
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.name == "Z9")) is None
    from portal.models import Person

    assert db.session.scalar(select(Person).where(Person.employee_id == "Z9")) is None


def test_document_upload_needs_documents_write_and_enters_the_review_queue(client, org, make_token):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    data = lambda: {"employee_id": org.employee.employee_id, "file": (io.BytesIO(pdf), "cert.pdf")}  # noqa: E731
    refused = client.post("/api/v1/documents", data=data(), headers=make_token("people:write", name="w"),
                          content_type="multipart/form-data")
    assert refused.status_code == 403
    response = client.post("/api/v1/documents", data=data(), headers=make_token("documents:write", name="d"),
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    document = db.session.get(Document, response.json["id"])
    assert document.source == "api" and document.person_id == org.employee.id
    again = client.post("/api/v1/documents", data=data(), headers=make_token("documents:write", name="d2"),
                        content_type="multipart/form-data")
    assert again.status_code == 409 and again.json["error"]["code"] == "duplicate"


def test_tokens_are_stored_hashed_and_shown_once(app, org):
    token, secret = api_tokens.create_token("HRIS", ["people:read"], actor=org.admin_user)
    assert secret.startswith("cw_") and len(secret) > 40
    assert token.token_hash == api_tokens.hash_token(secret) and secret not in token.token_hash
    assert token.prefix == secret[:10]


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer cw_wrong", "Basic abc", "bearer  "])
def test_missing_or_bad_tokens_are_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/people", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_and_expired_tokens_stop_working(client, app, org):
    from datetime import timedelta

    from portal.models import utcnow

    token, secret = api_tokens.create_token("Soon gone", ["people:read"], actor=org.admin_user)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/people", headers=headers).status_code == 200
    api_tokens.revoke_token(token, actor=org.admin_user)
    assert client.get("/api/v1/people", headers=headers).status_code == 401

    token2, secret2 = api_tokens.create_token("Expiring", ["people:read"], actor=org.admin_user,
                                              expires_at=utcnow() + timedelta(hours=1))
    token2.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/people", headers={"Authorization": f"Bearer {secret2}"}).status_code == 401


def test_a_portal_session_cookie_never_authenticates_the_api(admin_client):
    response = admin_client.get("/api/v1/people")
    assert response.status_code == 401


def test_last_used_is_recorded(client, org, make_token):
    headers = make_token("people:read", name="used")
    client.get("/api/v1/people", headers=headers)
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "used"))
    assert token.last_used_at is not None


def test_rate_limits_are_per_token(client, app, make_token):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first, second = make_token("people:read", name="a"), make_token("people:read", name="b")
    statuses = [client.get("/api/v1/people", headers=first).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/people", headers=first)
    assert limited.json["error"]["code"] == "rate_limited"
    assert client.get("/api/v1/people", headers=second).status_code == 200


def test_api_needs_no_csrf_token(client, make_token):
    response = client.put("/api/v1/projects", json={"projects": [{"code": "C1", "name": "No CSRF"}]},
                          headers=make_token("projects:write"))
    assert response.status_code == 200


def test_token_pages_create_show_once_and_revoke(admin_client, org):
    page = admin_client.post("/admin/integrations/tokens", data={"name": "Workday", "scopes": ["people:write"]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "will not be shown again" in html
    assert page.headers["Cache-Control"] == "no-store"
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Workday"))
    assert token.prefix in html
    listing = admin_client.get("/admin/integrations/tokens").get_data(as_text=True)
    assert "will not be shown again" not in listing and "Workday" in listing
    admin_client.post(f"/admin/integrations/tokens/{token.id}/revoke")
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None


def test_token_form_errors_sit_next_to_the_field(admin_client):
    page = admin_client.post("/admin/integrations/tokens", data={"name": "", "scopes": []})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'id="f-name-error"' in html and 'id="f-scopes-error"' in html


def test_openapi_document_is_generated_and_docs_page_renders(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    doc = spec.json
    assert doc["openapi"].startswith("3.") and "/api/v1/people" in doc["paths"]
    assert doc["paths"]["/api/v1/people"]["put"]["x-required-scope"] == "people:write"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/people" in page.get_data(as_text=True)
