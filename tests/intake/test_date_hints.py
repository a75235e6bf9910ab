"""A reviewer's day/month correction teaches an issuer's date order (the learning bug of issue 11)."""
import intake
from intake.fields import hint_label_kind
from tests.intake.conftest import make_pdf


def _card(path, holder, issued, expires):
    """A new issuer (not in the directory) printing ambiguous numeric dates day first."""
    return make_pdf(path, [[
        (72, 60, 16, "Harbourside Crane Operators Guild"),
        (72, 120, 11, f"Holder: {holder}"),
        (72, 145, 11, "Certificate No: HC-40112"),
        (72, 170, 11, f"Date of Issue: {issued}"),
        (72, 195, 11, f"Expiry Date: {expires}"),
    ]])


def _teach(first) -> list[dict]:
    read = first.to_dict()
    return [intake.hints_from_correction(read, "issue_date", "2024-02-09"),
            intake.hints_from_correction(read, "expiry_date", "2027-02-09")]


def test_a_date_hint_remembers_the_label_as_a_date_role_and_the_order(tmp_path):
    first = intake.extract(_card(tmp_path / "a.pdf", "Ann Lee", "09/02/2024", "09/02/2027"))
    assert (first.issue_date, first.expiry_date) == ("2024-09-02", "2027-09-02"), "read month first"
    issued, expires = _teach(first)
    assert (issued["label"], issued["date_order"]) == ("Date of Issue", "DMY")
    assert (expires["label"], expires["date_order"]) == ("Expiry Date", "DMY")
    assert hint_label_kind("issue_date") == "date:issue" and hint_label_kind("license_number") == "license_number"


def test_after_a_day_first_correction_the_same_document_read_again_has_its_dates(tmp_path):
    path = _card(tmp_path / "a.pdf", "Ann Lee", "09/02/2024", "09/02/2027")
    hints = _teach(intake.extract(path))
    again = intake.extract(path, hints=hints)
    assert (again.issue_date, again.expiry_date) == ("2024-02-09", "2027-02-09")


def test_the_next_document_of_a_taught_day_first_issuer_is_read_day_first(tmp_path):
    hints = _teach(intake.extract(_card(tmp_path / "a.pdf", "Ann Lee", "09/02/2024", "09/02/2027")))
    second = _card(tmp_path / "b.pdf", "Bo Chan", "03/04/2025", "03/04/2028")
    assert intake.extract(second).issue_date == "2025-03-04"           # untaught: month first
    taught = intake.extract(second, hints=hints)
    assert (taught.issue_date, taught.expiry_date) == ("2025-04-03", "2028-04-03")
    assert taught.holder_name == "Bo Chan"


def test_an_unambiguous_date_is_no_evidence_of_order(tmp_path):
    first = intake.extract(_card(tmp_path / "a.pdf", "Ann Lee", "25/02/2024", "25/02/2027"))
    hint = intake.hints_from_correction(first.to_dict(), "issue_date", "2024-02-25")
    assert "date_order" not in hint


def test_hints_taught_per_issuer_are_applied_to_the_issuer_read(tmp_path):
    """Handed every taught issuer's hints, the reader applies those of the
    issuer it reads, as if it had been given them (and no one else's)."""
    from intake.hints import name_key

    hints = _teach(intake.extract(_card(tmp_path / "a.pdf", "Ann Lee", "09/02/2024", "09/02/2027")))
    second = _card(tmp_path / "b.pdf", "Bo Chan", "03/04/2025", "03/04/2028")
    other = [dict(h, date_order="MDY") for h in hints]
    table = {name_key("Harbourside Crane Operators Guild"): hints, name_key("Another Guild"): other}
    taught, given = intake.extract(second, taught=table).to_dict(), intake.extract(second, hints=hints).to_dict()
    assert (taught["issue_date"], taught["hints_used"]) == ("2025-04-03", 2)
    assert {**taught, "seconds": 0} == {**given, "seconds": 0}
    untaught = intake.extract(second, taught={name_key("Another Guild"): other})
    assert (untaught.issue_date, untaught.hints_used) == ("2025-03-04", 0)
