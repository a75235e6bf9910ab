from __future__ import annotations

from datetime import date

import pytest

from portal.extensions import db
from tests.reliability.conftest import consumer  # noqa: F401  (a real huey_consumer, for the import jobs)
from tests.support import factories
from tests.verification import material


@pytest.fixture(scope="session")
def pki():
    return material.make_pki()


@pytest.fixture(scope="session")
def signed(pki):
    return material.signed_pdf(pki)


@pytest.fixture
def held(org):
    """Erin's BLS card, confirmed from a document."""
    credential = factories.credential(org.employee, org.bls, expires_on=date(2027, 6, 30))
    db.session.commit()
    return credential


@pytest.fixture
def stored_document(app):
    """stored_document(credential, data) -> a Document whose stored file is ``data``."""
    import io

    from portal.models import Document
    from portal.services import documents

    def make(credential, data: bytes, name="certificate.pdf"):
        stored = documents.store(io.BytesIO(data))
        document = Document(sha256=stored.sha256, original_name=name, media_type=stored.media_type,
                            size_bytes=stored.size, person_id=credential.person_id, state="confirmed",
                            credential_id=credential.id)
        db.session.add(document)
        db.session.flush()
        credential.source_document_id = document.id
        db.session.commit()
        return document

    return make


@pytest.fixture
def fake_source(app):
    """A real HTTP server on loopback; verification may reach it (private networks allowed)."""
    from portal.services.verification import http
    from tests.verification.fake_source import FakeSource

    app.config.update(VERIFICATION_ALLOW_PRIVATE_NETWORKS=True, VERIFICATION_HTTP_TIMEOUT=1,
                      VERIFICATION_HTTP_RETRIES=1, VERIFICATION_HTTP_PER_MINUTE=0)
    http.clear_cache()
    with FakeSource() as source:
        yield source
    http.clear_cache()


@pytest.fixture
def frozen():
    """The clock on 15 January 2026: badge windows are judged on a fixed day."""
    import time_machine

    with time_machine.travel(material.NOW, tick=False):
        yield material.NOW


@pytest.fixture(autouse=True)
def verification_day():
    """Every test here runs on material.NOW (ticking): certificates, badges and
    policies are made for that day, so no test depends on the calendar."""
    import time_machine

    with time_machine.travel(material.NOW, tick=True):
        yield
