"""Demo step: real certificate files in the review queue on first run.

Certificates are drawn here (Pillow for scans and photos, a few lines of PDF
for born-digital ones), stored like uploads and read by the real pipeline, so
the reviewer's queue shows documents with evidence boxes and confidence, one
that could not be read, and the employee sees an upload waiting for review
and one that HR rejected with a reason. Tests reuse ``certificate_pdf`` and
``certificate_png`` to make their own files.
"""
from __future__ import annotations

import io
import random
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from portal.extensions import db
from portal.models import Credential, Document, Notification, User, utcnow
from portal.policies import notification_keys
from portal.services import mailer

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass
class Certificate:
    issuer: str
    title: str
    holder: str
    number: str
    issued: date
    expires: date | None
    number_label: str = "License No."
    issued_label: str = "Issue Date"
    expires_label: str = "Expiration Date"
    date_format: str = "%B %d, %Y"

    def lines(self) -> list[tuple[str, float, bool]]:
        """(text, size in points, centred) from the top of the page down."""
        rows = [
            (self.issuer, 22, True),
            ("", 10, True),
            ("This certifies that", 12, True),
            (self.holder, 20, True),
            ("has completed the requirements for", 12, True),
            (self.title, 16, True),
            ("", 10, True),
            (f"{self.number_label} {self.number}", 12, False),
            (f"{self.issued_label}: {self.issued.strftime(self.date_format)}", 12, False),
        ]
        if self.expires:
            rows.append((f"{self.expires_label}: {self.expires.strftime(self.date_format)}", 12, False))
        return rows


def certificate_pdf(cert: Certificate) -> bytes:
    """A one-page, born-digital PDF (Helvetica text, US Letter landscape)."""
    width, height = 792, 612
    y, ops = height - 110, []
    for text, size, centred in cert.lines():
        if text:
            safe = text.encode("latin-1", "replace").decode("latin-1")
            safe = safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            x = (width - 0.5 * size * len(text)) / 2 if centred else 140
            ops.append(f"BT /F1 {size} Tf {x:.1f} {y:.1f} Td ({safe}) Tj ET")
        y -= size * 2.1
    ops.append(f"2 w 40 40 {width - 80} {height - 80} re S")
    stream = zlib.compress("\n".join(ops).encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Resources << /Font << /F1 4 0 R >> >> "
        f"/Contents 5 0 R >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    name = "DejaVuSerif-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:
        return ImageFont.load_default(size)


def certificate_png(cert: Certificate, scanned: bool = True, seed: int = 1) -> bytes:
    """The certificate as a scan: 200 dpi greyscale, slightly turned, with noise."""
    from PIL import Image, ImageDraw, ImageFilter

    scale = 200 / 72
    width, height = int(792 * scale), int(612 * scale)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle([60, 60, width - 60, height - 60], outline=40, width=5)
    y = int(80 * scale)
    for text, size, centred in cert.lines():
        font = _font(int(size * scale), bold=size >= 16)
        if text:
            box = draw.textbbox((0, 0), text, font=font)
            x = (width - (box[2] - box[0])) // 2 if centred else int(140 * scale)
            draw.text((x, y), text, fill=20, font=font)
        y += int(size * 2.1 * scale)
    if scanned:
        rng = random.Random(seed)
        image = image.rotate(rng.uniform(-0.8, 0.8), expand=False, fillcolor=255, resample=Image.BICUBIC)
        noise = Image.effect_noise((width, height), 40)
        image = Image.blend(image, noise, 0.12)
        image = image.filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(200, 200))
    return out.getvalue()


# --------------------------------------------------------------------------- the demo step


def _add_document(ctx, person, data: bytes, name: str, credential_type=None, renews=None, days_ago: int = 1):
    from portal.services import documents as document_service

    stored = document_service.store(io.BytesIO(data))
    created = utcnow() - timedelta(days=days_ago, hours=ctx.rng.randint(0, 8))
    uploader = person.user
    document = Document(
        sha256=stored.sha256, original_name=name, media_type=stored.media_type, size_bytes=stored.size,
        person_id=person.id, uploaded_by_id=uploader.id if uploader else None, source="portal",
        credential_type_id=credential_type.id if credential_type else None,
        renews_credential_id=renews.id if renews else None,
        state="reading", attempts=1, queued_at=created, started_at=created, created_at=created,
    )
    db.session.add(document)
    db.session.flush()
    return document


def _read(document) -> None:
    """Run the real pipeline over the stored file (trusted demo content, in-process)."""
    import intake
    from portal.services import documents as document_service

    result = intake.extract(document_service.stored_path(document.sha256))
    document_service.finish_reading(document.id, result)


def seed(ctx) -> None:
    types = ctx.made["types"]
    people = ctx.made["people"]
    today = ctx.today
    employee = db.session.scalar(select(User).where(User.email == "employee@credwatch.demo")).person
    reviewer = db.session.scalar(select(User).where(User.email == "reviewer@credwatch.demo"))
    nurses = [p for p in people if p.job_role and p.job_role.code in ("RN", "CHARGE-RN") and p is not employee]
    electricians = [p for p in people if p.job_role and p.job_role.code.startswith("ELEC")]
    it_people = [p for p in people if p.job_role and p.job_role.code in ("SEC-ANALYST", "SEC-ENG")]
    pick = ctx.rng.choice

    def bls(person, number, issued):
        return Certificate("American Heart Association", "BLS Provider", person.full_name, number, issued,
                           issued + timedelta(days=730), number_label="eCard Code:")

    # The demo employee renews their BLS: waiting for review, with a real scan.
    current_bls = db.session.scalar(select(Credential).where(
        Credential.person_id == employee.id, Credential.credential_type_id == types["AHA-BLS"].id,
        Credential.state == "active"))
    issued = today - timedelta(days=6)
    doc = _add_document(ctx, employee, certificate_png(bls(employee, "2B7Q-44KD-91XZ", issued), seed=3),
                        "bls-renewal-scan.png", types["AHA-BLS"], renews=current_bls, days_ago=1)
    _read(doc)

    # Born-digital and scanned certificates from colleagues.
    queue = []
    if nurses:
        nurse = pick(nurses)
        queue.append((nurse, certificate_pdf(Certificate(
            "New York State Education Department", "Registered Professional Nurse", nurse.full_name,
            f"{ctx.rng.randint(600000, 699999)}", today - timedelta(days=20), today + timedelta(days=1075),
            number_label="License Number:", issued_label="Registration Begins", expires_label="Registration Ends")),
            "nys-rn-registration.pdf", 4))
        nurse2 = pick(nurses)
        queue.append((nurse2, certificate_png(Certificate(
            "American Heart Association", "ACLS Provider", nurse2.full_name, "8AC1-22LP-07MM",
            today - timedelta(days=12), today + timedelta(days=718), number_label="eCard Code:"), seed=9),
            "IMG_2041.png", 3))
    if electricians:
        sparky = pick(electricians)
        queue.append((sparky, certificate_pdf(Certificate(
            "Occupational Safety and Health Administration", "OSHA 10-Hour Construction Industry Outreach Training",
            sparky.full_name, f"{ctx.rng.randint(10, 99)}-{ctx.rng.randint(100000000, 999999999)}",
            today - timedelta(days=9), None, number_label="Card Number:", issued_label="Date Issued")),
            "osha10-card.pdf", 2))
    if it_people:
        analyst = pick(it_people)
        queue.append((analyst, certificate_pdf(Certificate(
            "CompTIA", "CompTIA Security+", analyst.full_name, f"COMP{ctx.rng.randint(10**11, 10**12 - 1)}",
            today - timedelta(days=30), today + timedelta(days=1065), number_label="Verification Code:",
            issued_label="Certification Date", expires_label="Expiration Date")), "security-plus.pdf", 5))
    for person, data, name, days in queue:
        _read(_add_document(ctx, person, data, name, days_ago=days))

    # A file the pipeline cannot read: a PDF cut off half way through upload.
    broken_owner = pick(nurses or people)
    broken = certificate_pdf(bls(broken_owner, "5TTX-00QA-12PP", today - timedelta(days=3)))
    doc = _add_document(ctx, broken_owner, broken[: len(broken) // 3], "scan0001.pdf", days_ago=6)
    _read(doc)

    # An earlier upload of the employee's that HR rejected, with the reason they see.
    acls = Certificate("American Heart Association", "ACLS Provider", employee.full_name, "—",
                       today - timedelta(days=40), today + timedelta(days=690))
    rejected = _add_document(ctx, employee, certificate_png(acls, seed=5), "acls-photo.png", types["AHA-ACLS"],
                             days_ago=20)
    rejected.state = "rejected"
    rejected.started_at = rejected.finished_at = rejected.created_at
    rejected.reviewed_by_id, rejected.reviewed_at = reviewer.id, utcnow() - timedelta(days=19)
    rejected.reject_reason = ("The certificate number is cut off in this photo. Please upload the full card "
                              "or the PDF eCard from the AHA website.")
    # Through the one way in (mailer.queue), already sent when HR rejected it:
    # the send task queued after the commit finds nothing to send.
    mailer.queue(Notification(
        unique_key=notification_keys.rejected_document(rejected.id, "demo"), kind="review", step="rejected",
        person_id=employee.id, document_id=rejected.id, recipient_person_id=employee.id,
        recipient_email=employee.email, subject="Your upload “acls-photo.png” was not accepted",
        state="sent", next_attempt_at=rejected.reviewed_at, sent_at=rejected.reviewed_at,
        context={"reason": rejected.reject_reason},
    ))
    db.session.flush()
