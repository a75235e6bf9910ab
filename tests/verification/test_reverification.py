"""Re-verification jobs: due by policy, outcome changes the standing, notices and webhook; source down."""
from __future__ import annotations

import json
from datetime import timedelta

import time_machine

from portal.extensions import db
from portal.models import Notification, Verification, VerificationPolicy, VerificationState, Webhook, \
    WebhookDelivery
from portal.services import verification
from portal.services.verification import runs
from tests.verification import material

DAY = material.NOW


def _badge_with_status(key, fake_source, revoked):
    url = fake_source.serve("/status/9", material.status_list(revoked=revoked))
    entry = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "5",
             "statusListCredential": url}
    return json.dumps(material.signed_badge(material.issuer_key(), status=entry)).encode()


def _setup(org, held, stored_document, fake_source, reverify_days=30):
    db.session.add(VerificationPolicy(credential_type_id=org.bls.id, reverify_days=reverify_days))
    db.session.add(Webhook(url="http://127.0.0.1:9/hook", events=["credential.verification_changed"],
                           secret="whsec_test", active=True))
    db.session.commit()
    key_badge = _badge_with_status(material.issuer_key(), fake_source, revoked=set())
    stored_document(held, key_badge, name="badge.json")


def test_a_new_credential_with_a_document_is_checked_then_due_again_by_policy(org, held, stored_document,
                                                                              fake_source):
    _setup(org, held, stored_document, fake_source)
    with time_machine.travel(DAY, tick=False):
        assert runs.due_ids() == [held.id]
        assert runs.enqueue_due() == 1  # huey.immediate: the task ran
        state = db.session.get(VerificationState, held.id)
        assert state.outcome == "verified"
        assert state.next_due == DAY.date() + timedelta(days=30)
        assert runs.due_ids() == []
        assert runs.reverify(held.id) == "not due"
    with time_machine.travel(DAY + timedelta(days=30), tick=False):
        assert runs.due_ids() == [held.id]
        assert verification.standing(held).status == "due"


def test_a_revoked_badge_found_on_reverification_changes_the_standing_and_tells_people(org, held, stored_document,
                                                                                       fake_source):
    _setup(org, held, stored_document, fake_source)
    with time_machine.travel(DAY, tick=False):
        runs.enqueue_due()
    fake_source.serve("/status/9", material.status_list(revoked={5}))
    from portal.services.verification import http

    http.clear_cache()
    with time_machine.travel(DAY + timedelta(days=31), tick=False):
        assert runs.enqueue_due() == 1

    db.session.expire_all()
    assert db.session.get(VerificationState, held.id).outcome == "failed"
    assert held.state == "active"  # nothing deleted or revoked by a check
    assert [v.outcome for v in db.session.query(Verification).order_by(Verification.id)] == ["verified", "failed"]
    deliveries = db.session.query(WebhookDelivery).order_by(WebhookDelivery.id).all()
    assert [d.payload["after"] for d in deliveries] == ["verified", "failed"]
    assert deliveries[1].payload["before"] == "verified"
    told = {n.recipient_email for n in db.session.query(Notification).filter_by(kind="verification")}
    assert org.employee.email in told and org.manager.email in told  # the ladder: holder, manager, HR, ...
    assert org.reviewer_user.person.email in told and org.compliance_user.person.email in told
    assert org.outsider.email not in told


def test_a_source_that_is_down_leaves_the_standing_and_is_asked_again_later(org, held, fake_source):
    did = "did:web:" + fake_source.host.replace(":", "%3A") + ":council"
    key = material.issuer_key()
    fake_source.serve("/council/did.json", {"id": did, "verificationMethod": [
        {"id": f"{did}#k", "type": "Multikey", "publicKeyMultibase": material.did_key(key)[8:]}]})
    badge = material.sign_data_integrity(material.open_badge(issuer_did=did), key, f"{did}#k")
    db.session.add(VerificationPolicy(credential_type_id=org.bls.id, reverify_days=30))
    db.session.commit()
    import io

    with time_machine.travel(DAY, tick=False):
        verification.checks_for_upload(held, io.BytesIO(json.dumps(badge).encode()), "badge.json")
    # The badge file was given for the purpose, not attached: re-verification has only what is attached,
    # so attach it as the credential's document.
    from portal.models import Document

    stored = db.session.query(Verification).one().evidence["file"]["sha256"]
    doc = Document(sha256=stored, original_name="badge.json", size_bytes=10, person_id=held.person_id,
                   state="confirmed", credential_id=held.id)
    db.session.add(doc)
    db.session.flush()
    held.source_document_id = doc.id
    db.session.commit()
    from portal.services.verification import http

    http.clear_cache()
    fake_source.serve("/council/did.json", b"", status=503)
    later = DAY + timedelta(days=31)
    with time_machine.travel(later, tick=False):
        assert runs.reverify(held.id) == "source down"
        state = db.session.get(VerificationState, held.id)
        assert state.outcome == "verified"
        assert state.retry_at > later
        assert runs.due_ids() == []  # not before the retry time
    assert db.session.query(Verification).count() == 1
    with time_machine.travel(later + runs.RETRY_AFTER + timedelta(minutes=1), tick=False):
        assert runs.due_ids() == [held.id]


def test_a_policy_that_names_no_verifier_that_applies_records_unverifiable(org, held):
    db.session.add(VerificationPolicy(credential_type_id=None, methods=["pdf_signature"]))
    db.session.commit()
    assert verification.verify(held).outcome == "unverifiable"
