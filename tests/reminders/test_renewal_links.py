"""The signed renewal link: GET shows, POST uploads once, for that person only."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from portal.extensions import db
from portal.models import Document
from portal.services import renewal_links
from tests.support import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def credential(app, org):
    c = factories.credential(org.employee, org.bls, expires_on=date.today() + timedelta(days=30))
    db.session.commit()
    return c


def _path(token):
    return f"/renew/{token}"


def _upload(client, token, content=PDF):
    return client.post(_path(token), data={"file": (io.BytesIO(content), "renewed.pdf")},
                       content_type="multipart/form-data")


def test_get_shows_a_page_and_changes_nothing(app, credential, employee_client):
    token = renewal_links.make_token(credential.id, credential.person_id)
    page = employee_client.get(_path(token))
    assert page.status_code == 200
    assert "Upload your renewed BLS Provider" in page.get_data(as_text=True)
    assert db.session.query(Document).count() == 0


def test_signed_out_user_is_sent_to_sign_in(app, credential, client):
    token = renewal_links.make_token(credential.id, credential.person_id)
    response = client.get(_path(token))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_post_uploads_a_renewal_for_exactly_that_credential_once(app, credential, employee_client):
    token = renewal_links.make_token(credential.id, credential.person_id)
    response = _upload(employee_client, token)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    [document] = db.session.query(Document).all()
    assert document.renews_credential_id == credential.id
    assert document.credential_type_id == credential.credential_type_id
    again = employee_client.get(_path(token))
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)
    assert _upload(employee_client, token, PDF + b"%other").status_code == 410
    assert db.session.query(Document).count() == 1


def test_post_without_csrf_is_refused(app, credential, employee_client):
    token = renewal_links.make_token(credential.id, credential.person_id)
    response = employee_client.post(_path(token), data={"file": (io.BytesIO(PDF), "r.pdf")},
                                    content_type="multipart/form-data", csrf=False)
    assert response.status_code == 400
    assert db.session.query(Document).count() == 0


def test_tampered_link(app, credential, employee_client):
    token = renewal_links.make_token(credential.id, credential.person_id)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    page = employee_client.get(_path(tampered))
    assert page.status_code == 400 and "damaged" in page.get_data(as_text=True)


def test_link_signed_for_another_purpose_is_tampered(app, credential, employee_client):
    other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="something-else")
    token = other.dumps({"c": credential.id, "p": credential.person_id, "n": "x"})
    assert employee_client.get(_path(token)).status_code == 400


def test_expired_link(app, credential, employee_client):
    token = renewal_links.make_token(credential.id, credential.person_id)
    app.config["RENEWAL_LINK_MAX_AGE_DAYS"] = -1  # every link is now past its age
    page = employee_client.get(_path(token))
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert _upload(employee_client, token).status_code == 410
    assert db.session.query(Document).count() == 0


def test_wrong_user(app, org, credential, login):
    token = renewal_links.make_token(credential.id, credential.person_id)
    outsider = login(org.outsider_user)
    page = outsider.get(_path(token))
    assert page.status_code == 403 and "someone else" in page.get_data(as_text=True)
    assert "BLS" not in page.get_data(as_text=True)
    assert _upload(outsider, token).status_code == 403
    manager = login(org.manager_user)  # even their manager may not use it
    assert manager.get(_path(token)).status_code == 403
    assert db.session.query(Document).count() == 0


def test_link_for_a_credential_already_renewed(app, org, credential, employee_client):
    token = renewal_links.make_token(credential.id, credential.person_id)
    credential.state = "superseded"
    db.session.commit()
    assert employee_client.get(_path(token)).status_code == 410
