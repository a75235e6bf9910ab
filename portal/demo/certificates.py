"""Demo certificates to upload in the walk-through (``flask demo certificates``).

Drawn at run time with the same code the demo queue uses, so a fresh clone
has files to try without any sample corpus: a renewal for the demo employee,
and the kinds of upload the review checks stop (another person's expired
card, a UK certificate whose numeric dates read either way, a type the
catalogue lacks).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from portal.demo.documents import Certificate, certificate_pdf, certificate_png
from portal.policies.dates import add_months

EMPLOYEE = "Sam Rivera"  # employee@credwatch.demo


def certificates(today: date) -> dict[str, bytes]:
    issued = add_months(today, -1)
    old = add_months(today, -70)
    uk = date(today.year - 1, 2, 9)  # 09/02: 9 February or 2 September
    return {
        "acls-renewal-sam-rivera.pdf": certificate_pdf(Certificate(
            "American Heart Association", "ACLS Provider", EMPLOYEE, "7QX4-22KD-81ZP", issued,
            add_months(issued, 24), number_label="eCard Code:")),
        "acls-expired-other-person.png": certificate_png(Certificate(
            "American Heart Association", "ACLS Provider", "Marcus Webb", "3JD9-77PL-02QA", old,
            add_months(old, 24), number_label="eCard Code:"), scanned=True, seed=3),
        "ils-uk-numeric-dates.pdf": certificate_pdf(Certificate(
            "Resuscitation Council UK", "Immediate Life Support", EMPLOYEE, "RC-448812", uk,
            date(uk.year + 2, uk.month, uk.day), number_label="Certificate No:", date_format="%d/%m/%Y")),
        "confined-space-unknown-type.pdf": certificate_pdf(Certificate(
            "Harbour Safety Ltd", "Confined Space Entry", EMPLOYEE, "HS-20931", issued,
            add_months(issued, 36), number_label="Certificate No:")),
    }


def write(folder: Path, today: date) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in certificates(today).items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
