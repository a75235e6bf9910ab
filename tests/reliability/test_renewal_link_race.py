"""Simultaneous first uses of one renewal link: exactly one renewal document."""
from __future__ import annotations

import threading
from datetime import timedelta

from portal.extensions import db
from portal.models import Document, today
from portal.services import renewal_links
from tests.reliability.conftest import browser_session
from tests.support import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
USES = 6


def test_six_simultaneous_uses_of_a_link_make_one_document(app, org, live_server):
    credential = factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=30))
    db.session.commit()
    url = live_server.url(f"/renew/{renewal_links.make_token(credential.id, credential.person_id)}")
    sessions = [browser_session(live_server, org.employee_user) for _ in range(USES)]
    start = threading.Barrier(USES)
    answers: list[int] = []

    def use(i, http):
        start.wait()
        # different bytes each, so the duplicate-upload rule cannot hide the race
        reply = http.post(url, files={"file": (f"renewed-{i}.pdf", PDF + f"%{i}\n".encode())},
                          allow_redirects=False)
        answers.append(reply.status_code)

    threads = [threading.Thread(target=use, args=(i, s)) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    db.session.expire_all()
    renewals = db.session.query(Document).filter_by(renews_credential_id=credential.id).count()
    assert renewals == 1, answers
    assert sorted(answers) == [302] + [410] * (USES - 1)
