"""Which open document counts for a credential type: every place that asks agrees.

The rule (portal.services.open_documents): a document not yet decided counts
for the type it names, else for the type of the credential it renews.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Credential, Notification, RequirementSnapshot, today
from portal.policies import reminders as rules
from portal.services import compliance, mailer, registry, review
from portal.services.open_documents import open_for
from portal.services.reminders import content, facts
from tests.support import factories


def _documents_of_every_shape(org):
    """A person holding four types, with documents of each shape; returns the
    types their open documents count for."""
    named, renewed, renamed, other = org.bls, *(factories.credential_type(f"Type {n}") for n in "BCD")
    held = {t.id: factories.credential(org.employee, t, expires_on=today() + timedelta(days=300))
            for t in (named, renewed, renamed, other)}
    db.session.flush()
    factories.document(org.employee, credential_type_id=named.id)                          # names its type
    factories.document(org.employee, state="reading", renews_credential_id=held[renewed.id].id)   # a renewal
    # a renewal that names another type counts for the type it names, not the renewed one
    factories.document(org.employee, state="failed", credential_type_id=other.id,
                       renews_credential_id=held[renamed.id].id)
    factories.document(org.employee, state="queued")                                       # no type yet
    factories.document(org.employee, state="rejected", credential_type_id=renamed.id)      # decided
    factories.document(org.employee, state="confirmed", credential_type_id=renamed.id)     # decided
    db.session.commit()
    return {named.id, renewed.id, other.id}


def test_every_place_counts_the_same_open_documents_for_a_type(org):
    expected = _documents_of_every_shape(org)
    person = org.employee.id

    assert compliance.load_facts([person], today()).pending[person] == expected
    assert db.session.scalar(select(RequirementSnapshot.pending).where(
        RequirementSnapshot.person_id == person, RequirementSnapshot.credential_type_id == org.bls.id))

    overview = registry.person_overview(org.employee, today())
    assert {row.credential_type.id for row in overview.rows if row.pending} == expected

    scanned = set(db.session.scalars(select(Credential.credential_type_id).where(
        Credential.person_id == person, open_for(Credential.person_id, Credential.credential_type_id))))
    assert scanned == expected

    ruled = facts.load().open_documents
    held = {c.credential_type_id for c in db.session.scalars(select(Credential).where(Credential.person_id == person))}
    assert {t for t in held if rules.has_open_document(ruled, person, t)} == expected

    rows = [Notification(person_id=person, credential_id=c.id, kind="reminder")
            for c in db.session.scalars(select(Credential).where(Credential.person_id == person))]
    loaded = content.preload(rows, mailer.Batch(rows))
    assert {c.credential_type_id for c in loaded.credentials.values() if loaded.has_open_document(c)} == expected

    def queued_for(type_id):  # the review queue's type filter
        return review.queue(review.QueueFilters(state="all", credential_type_id=type_id)).documents
    assert {t for t in held if any(d.is_open for d in queued_for(t))} == expected
