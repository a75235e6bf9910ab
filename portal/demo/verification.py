"""Demo step: verification records made by the real verifiers over demo material.

Nothing here paints a standing on: the state board's licences come as PDFs
signed under a demo trust root (one altered after signing, one signed by a
root nobody trusted), BLS cards as Open Badges signed with a did:key (one
edited after signing), other numbers are checked for their issuer's shape,
and the board's roster file is imported twice: the earlier file (dated past
the licence's 120-day policy, so those it alone covers are due again) and
today's, where one nurse is now on probation. An exclusion list lists a name
close to a colleague's: a near miss to check by hand, not a match.
"""
from __future__ import annotations

import io
import json
import logging
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.demo import signing
from portal.demo.documents import Certificate, certificate_pdf
from portal.extensions import db
from portal.models import (
    Credential,
    Document,
    Verification,
    VerificationImport,
    VerificationPolicy,
    VerificationState,
    utcnow,
)
from portal.policies import verification as rules

LICENCE = "NY-RN"
BADGE = "AHA-BLS"
SIGNED_LICENCES = 8  # of which the last two: altered after signing, signed under an untrusted root
BADGES = 8  # of which the last one: edited after signing
REVERIFY_DAYS = 120  # primary-source checks before a credentialing decision (NCQA)
EARLIER_ROSTER_DAYS = REVERIFY_DAYS + 10
IDENTIFIER_SHARE = 0.25  # of the other active credentials, checked for their issuer's number shape
ROSTER_HEADER = ["License Number", "First Name", "Last Name", "License Status", "Expiration Date", "Discipline",
                 "State"]
LEIE_HEADER = ["LASTNAME", "FIRSTNAME", "MIDNAME", "BUSNAME", "GENERAL", "SPECIALTY", "UPIN", "NPI", "DOB",
               "ADDRESS", "CITY", "STATE", "ZIP", "EXCLTYPE", "EXCLDATE", "REINDATE", "WAIVERDATE", "WVRSTATE"]
LISTED = (("HOLLOWAY", "DENNIS"), ("PRATT", "LORRAINE"), ("VASQUEZ", "ORLANDO"), ("KIMBALL", "TRACY"),
          ("ABERNATHY", "GLENN"), ("SORENSEN", "BRIDGET"), ("MCALLISTER", "DUANE"), ("FAIRCHILD", "NOREEN"))


def _active(ctx, code: str) -> list[Credential]:
    return list(db.session.scalars(select(Credential).where(
        Credential.credential_type_id == ctx.made["types"][code].id, Credential.state == "active",
        Credential.expires_on > ctx.today).order_by(Credential.id)))


def _attach(credential: Credential, data: bytes, name: str) -> Document:
    """The file the credential was confirmed from, stored like an upload."""
    from portal.services import documents

    stored = documents.store(io.BytesIO(data))
    document = Document(sha256=stored.sha256, original_name=name, media_type=stored.media_type,
                        size_bytes=stored.size, person_id=credential.person_id, state="confirmed",
                        credential_id=credential.id, source="portal", created_at=utcnow() - timedelta(days=30))
    db.session.add(document)
    db.session.flush()
    credential.source_document_id = document.id
    return document


def _employee_first(ctx, credentials: list[Credential]) -> list[Credential]:
    """The demo employee's own record leads, so their page shows a verified licence and card."""
    return sorted(credentials, key=lambda c: c.person.email != "employee@credwatch.demo")


@contextmanager
def _quiet(logger_name: str):
    """pyHanko logs a traceback for a chain to an untrusted root: here the expected outcome, not news."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _signed_licences(ctx, credentials: list[Credential], now: datetime) -> None:
    from portal.services import verification

    board = signing.make_pki("NYSED Demo Root CA", "NYSED Office of the Professions",
                             "New York State Education Department (demo)", now=now, rng=ctx.rng)
    stranger = signing.make_pki("Quick e-Sign Root", "Quick e-Sign Signer", "Quick e-Sign Ltd (demo)",
                                now=now, rng=ctx.rng)
    verification.add_trust_root(board.root_pem)
    for i, credential in enumerate(credentials):
        pdf = certificate_pdf(Certificate(
            "New York State Education Department", "Registered Professional Nurse", credential.person.full_name,
            credential.license_number, credential.issued_on, credential.expires_on,
            number_label="License Number:", issued_label="Registration Begins", expires_label="Registration Ends"))
        signed = signing.signed_pdf(stranger if i == len(credentials) - 1 else board, pdf)
        if i == len(credentials) - 2:
            signed = signing.tampered(signed)
        with _quiet("pyhanko.sign.validation.generic_cms"):
            verification.verify(credential, _attach(credential, signed, "nys-rn-registration.pdf"))


def _badges(ctx, credentials: list[Credential]) -> None:
    from portal.services import verification

    key = signing.issuer_key(ctx.rng)
    for i, credential in enumerate(credentials):
        badge = signing.signed_badge(
            key, holder=credential.person.full_name, achievement="BLS Provider",
            issuer_name="American Heart Association (demo issuer)", credential_id=f"urn:uuid:demo-bls-{credential.id}",
            valid_from=f"{credential.issued_on.isoformat()}T00:00:00Z",
            valid_until=f"{credential.expires_on.isoformat()}T23:59:59Z")
        if i == len(credentials) - 1:  # someone changed the name on a colleague's badge
            badge["credentialSubject"]["name"] = credential.person.full_name + " Jr"
        data = signing.baked_png(json.dumps(badge))
        verification.verify(credential, _attach(credential, data, "bls-badge.png"))


def _identifier_checks(ctx, skip: set[int]) -> None:
    from portal.services import verification

    for credential in db.session.scalars(select(Credential).where(Credential.state == "active")
                                         .order_by(Credential.id)).all():
        if credential.id not in skip and ctx.rng.random() < IDENTIFIER_SHARE:
            verification.verify(credential)


def _csv(header: list[str], rows: list[list[str]]) -> io.BytesIO:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode())


def _roster_row(credential: Credential, status: str = "Active", discipline: str = "No") -> list[str]:
    p = credential.person
    return [credential.license_number, p.first_name, p.last_name, status, credential.expires_on.isoformat(),
            discipline, "NY"]


def _backdate(record: VerificationImport, days: int) -> None:
    """Date an import and its checks ``days`` back, as if it had been made then (due again by policy)."""
    shift = timedelta(days=days)
    record.imported_at -= shift
    for check in db.session.scalars(select(Verification).where(Verification.import_id == record.id)):
        check.checked_at -= shift
        state = db.session.get(VerificationState, check.credential_id)
        if state is not None and state.verification_id == check.id:
            state.checked_at = check.checked_at
            state.next_due = rules.next_due(check.checked_at.date(), REVERIFY_DAYS, check.credential.expires_on)


def _rosters(ctx, credentials: list[Credential], admin) -> None:
    from portal.services.verification import rosters

    earlier = rosters.import_file(_csv(ROSTER_HEADER, [_roster_row(c) for c in credentials]),
                                  "nursys-enotify-earlier.csv", "roster", actor=admin)
    _backdate(earlier.record, EARLIER_ROSTER_DAYS)
    db.session.commit()
    # Today's file covers three quarters of the nurses; one is now on probation.
    today = credentials[: len(credentials) * 3 // 4]
    rows = [_roster_row(c) for c in today[:-1]] + [_roster_row(today[-1], "Active", "Probation")]
    rosters.import_file(_csv(ROSTER_HEADER, rows), "nursys-enotify.csv", "roster", actor=admin)


def _near_miss_name(person) -> tuple[str, str]:
    """A listing like the person's name but not theirs: two typos' worth apart ("Dane Whitfeild")."""
    first, last = person.first_name.upper(), person.last_name.upper()
    middle = len(last) // 2
    return (last[:middle] + last[middle + 1] + last[middle] + last[middle + 2:],
            first[:-1] + ("E" if first[-1] != "E" else "A"))


def _exclusions(ctx, admin) -> None:
    from rapidfuzz import fuzz

    from portal.services.spreadsheets import name_key
    from portal.services.verification import rosters

    listed = list(LISTED)
    for person in ctx.made["people"]:
        last, first = _near_miss_name(person)
        score = fuzz.token_sort_ratio(name_key(f"{first} {last}"), name_key(person.full_name))
        if len(person.last_name) >= 6 and len(person.first_name) >= 4 and rosters.NEAR_MISS_SCORE <= score < rosters.MATCH_SCORE:
            listed.insert(3, (last, first))
            break
    rows = [[last, first, "", "", "NURSING", "", "", "", "19700101", "", "", "OH", "", "1128a1",
             (ctx.today - timedelta(days=200 + 30 * i)).strftime("%Y%m%d"), "00000000", "", ""]
            for i, (last, first) in enumerate(listed)]
    rosters.import_file(_csv(LEIE_HEADER, rows), "UPDATED.csv", "exclusion", actor=admin,
                        source="OIG LEIE exclusion list")


def seed(ctx) -> None:
    from portal.models import User

    admin = db.session.scalar(select(User).where(User.email == "compliance@credwatch.demo"))
    types = ctx.made["types"]
    db.session.add_all([
        VerificationPolicy(credential_type_id=types[LICENCE].id, reverify_days=REVERIFY_DAYS),
        VerificationPolicy(credential_type_id=types["NY-LPN"].id, reverify_days=REVERIFY_DAYS),
    ])
    db.session.commit()
    now = datetime.combine(ctx.today, datetime.min.time(), UTC)
    licences = _employee_first(ctx, _active(ctx, LICENCE))
    signed, on_roster = licences[:SIGNED_LICENCES], licences[SIGNED_LICENCES:]
    cards = _employee_first(ctx, _active(ctx, BADGE))[:BADGES]
    # The routine number checks first, so the admin's recent checks lead with files and rosters.
    _identifier_checks(ctx, {c.id for c in licences + cards})
    _signed_licences(ctx, signed, now)
    _badges(ctx, cards)
    _rosters(ctx, on_roster, admin)
    _exclusions(ctx, admin)
    db.session.commit()
