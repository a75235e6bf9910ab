"""Spreadsheet imports through the admin pages: map, preview (writes nothing), apply."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import AuditEvent, Credential, ImportMapping, Notification, Person
from portal.services import exports, imports

PEOPLE_CSV = (
    "Emp ID,Given name,Surname,Work email,Job title,Dept,Reports to,Hire date\n"
    "H002,Rita,Report,rita@example.test,Nursing Assistant,Wards,H001,13/02/2023\n"
    "H001,Mona,Manager,mona@example.test,Ward Manager,Wards,,01/03/2020\n"
)


def _counts():
    return (db.session.scalar(select(func.count(Person.id))),
            db.session.scalar(select(func.count(AuditEvent.id))),
            db.session.scalar(select(func.count(Credential.id))))


def _upload(client, data: bytes, name: str, kind: str):
    response = client.post("/admin/integrations/imports", data={"kind": kind, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    return response


def _import_id(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def _form(page: str) -> dict:
    """The mapping the page proposes, as a browser would send it back."""
    form = {}
    for name, body in re.findall(r'<select[^>]*name="(map-[a-z_]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        form[name] = chosen.group(1) if chosen else ""
    return form


def test_people_import_previews_without_writing_then_applies_and_remembers_mapping(admin_client):
    import_id = _import_id(_upload(admin_client, PEOPLE_CSV.encode(), "hris.csv", "people"))
    before = _counts()
    page = admin_client.get(f"/admin/integrations/imports/{import_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    form = _form(html)
    assert form["map-employee_id"] == "Emp ID" and form["map-last_name"] == "Surname"
    assert form["map-manager_employee_id"] == "Reports to"
    assert "nothing has been written" in html and html.count(">Create<") >= 2
    assert _counts() == before  # the preview wrote nothing

    response = admin_client.post(f"/admin/integrations/imports/{import_id}/apply", data=form)
    assert response.status_code == 302
    rita = db.session.scalar(select(Person).where(Person.employee_id == "H002"))
    assert rita.manager.employee_id == "H001"
    # 13/02/2023 settles the column as day/month, so 01/03/2020 is 1 March.
    mona = db.session.scalar(select(Person).where(Person.employee_id == "H001"))
    assert mona.hired_on.isoformat() == "2020-03-01"
    assert db.session.scalar(select(ImportMapping).where(ImportMapping.kind == "people")).mapping["employee_id"] == "Emp ID"
    # The file is gone after applying.
    assert admin_client.get(f"/admin/integrations/imports/{import_id}").status_code == 404


def test_applying_the_same_file_twice_changes_nothing(admin_client):
    for round_ in range(2):
        import_id = _import_id(_upload(admin_client, PEOPLE_CSV.encode(), "hris.csv", "people"))
        form = _form(admin_client.get(f"/admin/integrations/imports/{import_id}").get_data(as_text=True))
        audit_before = _counts()[1]
        admin_client.post(f"/admin/integrations/imports/{import_id}/apply", data=form)
    person_events = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.entity_type == "Person"))
    assert person_events == 2
    # Second round: only the "import.applied" event itself.
    assert _counts()[1] == audit_before + 1


def test_ambiguous_dates_are_flagged(app, org):
    csv = "Emp ID,Given name,Surname,Hire date\nA1,Ann,One,03/04/2025\nA2,Bob,Two,05/06/2024\n"
    upload = imports.save_upload(io.BytesIO(csv.encode()), "x.csv", "people", org.admin_user)
    result = imports.preview(upload, imports.suggest_mapping("people", upload.table().headers))
    assert all(any("settles" in w for w in row.warnings) for row in result.rows)


def test_someone_elses_import_is_404(app, org, admin_client, login):
    import_id = _import_id(_upload(admin_client, PEOPLE_CSV.encode(), "hris.csv", "people"))
    from tests.support import factories

    other_admin = factories.user(factories.person("Other", "Admin"), ("admin",))
    db.session.commit()
    assert imports.load_upload(import_id, other_admin) is None
    assert login(other_admin).get(f"/admin/integrations/imports/{import_id}").status_code == 404


@pytest.mark.parametrize("client_name,status", [("employee_client", 403), ("reviewer_client", 403), ("manager_client", 403)])
def test_imports_are_for_admins_only(request, client_name, status):
    assert request.getfixturevalue(client_name).get("/admin/integrations/imports").status_code == status


def test_upload_without_csrf_is_refused(admin_client):
    response = admin_client.post("/admin/integrations/imports", csrf=False, content_type="multipart/form-data",
                                 data={"kind": "people", "file": (io.BytesIO(PEOPLE_CSV.encode()), "h.csv")})
    assert response.status_code == 400


def test_wrong_columns_get_an_error_next_to_the_field(admin_client):
    import_id = _import_id(_upload(admin_client, b"Colour,Size\nred,9\n", "odd.csv", "people"))
    page = admin_client.get(f"/admin/integrations/imports/{import_id}")
    assert page.status_code == 422
    assert "Choose the column that holds the employee id" in page.get_data(as_text=True)


def test_broken_xlsx_is_refused_clearly(admin_client):
    response = _upload(admin_client, b"PK\x03\x04 this is not really a workbook", "broken.xlsx", "people")
    assert response.status_code == 422
    assert "could not be read as an Excel workbook" in response.get_data(as_text=True)


def test_people_import_reads_an_old_style_xls(app, org):
    from tests.support import xls

    data = xls.workbook([["Emp ID", "Given name", "Surname"], [1007, "Xavier", "Old"]])
    upload = imports.save_upload(io.BytesIO(data), "hris.xls", "people", org.admin_user)
    result = imports.preview(upload, imports.suggest_mapping("people", upload.table().headers))
    assert [r.action for r in result.rows] == ["create"]
    assert upload.table().rows == [[1007, "Xavier", "Old"]]  # a whole number stays whole


def test_too_many_rows_is_refused_clearly(app, org):
    app.config["IMPORT_MAX_ROWS"] = 10
    csv = "Emp ID,Given name,Surname\n" + "".join(f"E{i},A,B\n" for i in range(11))
    with pytest.raises(Invalid) as error:
        imports.save_upload(io.BytesIO(csv.encode()), "big.csv", "people", org.admin_user)
    assert "more than 10 rows" in error.value.message


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_formulas_are_never_evaluated_or_stored(app, org):
    data = _xlsx([["Emp ID", "Given name", "Surname"], ["F1", "=1+1", "Plain"], ["F2", "Real", "Name"]])
    upload = imports.save_upload(io.BytesIO(data), "f.xlsx", "people", org.admin_user)
    result = imports.preview(upload, imports.suggest_mapping("people", upload.table().headers))
    # openpyxl (data_only) gives no cached value for a formula it did not
    # compute, so the name is missing and the new person is refused.
    assert result.rows[0].action == "error"
    assert result.rows[1].action == "create"


def test_csv_formula_cells_are_refused(app, org):
    csv = 'Emp ID,Given name,Surname\nX1,"=HYPERLINK(""http://evil"")",Smith\n'
    upload = imports.save_upload(io.BytesIO(csv.encode()), "x.csv", "people", org.admin_user)
    result = imports.preview(upload, imports.suggest_mapping("people", upload.table().headers))
    assert result.rows[0].action == "error" and "formula" in result.rows[0].errors[0]


@pytest.mark.parametrize("value,expected", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("plain", "plain"), (None, ""),
])
def test_exported_cells_cannot_be_formulas(value, expected):
    assert exports.safe_cell(value) == expected


def test_preview_csv_export_escapes_injected_values(admin_client):
    csv = "Emp ID,Given name,Surname\n=EVIL(),A,B\n"
    import_id = _import_id(_upload(admin_client, csv.encode(), "x.csv", "people"))
    form = _form(admin_client.get(f"/admin/integrations/imports/{import_id}").get_data(as_text=True))
    exported = admin_client.get(f"/admin/integrations/imports/{import_id}/preview.csv", query_string=form)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    body = exported.get_data(as_text=True)
    assert "'=EVIL()" in body and "\n=EVIL" not in body and ",=EVIL" not in body


def test_credentials_match_by_id_email_and_fuzzy_name_with_human_acceptance(app, org, admin_client):
    csv = (
        "Employee,Email,Staff ID,Certification,License number,Expiry date\n"
        f"Erin Employee,,{org.employee.employee_id},AHA-BLS,L-1,2026-05-31\n"
        f"Max Manager,{org.manager.email},,BLS Provider,L-2,2026-06-30\n"
        "Dee Directer,,,BLS Provider,L-3,2026-07-31\n"
        "Nobody Known,,,BLS Provider,L-4,2026-07-31\n"
    )
    import_id = _import_id(_upload(admin_client, csv.encode(), "legacy.csv", "credentials"))
    html = admin_client.get(f"/admin/integrations/imports/{import_id}").get_data(as_text=True)
    form = _form(html)
    assert "Dee Director" in html and "match score" in html
    before = _counts()
    admin_client.post(f"/admin/integrations/imports/{import_id}", data=form)
    assert _counts() == before

    row_number = 4  # Dee's row in the spreadsheet
    admin_client.post(f"/admin/integrations/imports/{import_id}/apply", data={**form, "accept": [str(row_number)]})
    made = db.session.scalars(select(Credential).order_by(Credential.license_number)).all()
    assert [(c.person.last_name, c.license_number) for c in made] == [
        ("Employee", "L-1"), ("Manager", "L-2"), ("Director", "L-3")]
    assert all(c.source == "import" and c.verified is False for c in made)


def test_verified_records_are_not_overridden(app, org):
    from tests.support import factories

    factories.credential(org.employee, org.bls, license_number="REAL", verified=True)
    db.session.commit()
    csv = f"Staff ID,Certification,License number\n{org.employee.employee_id},AHA-BLS,FAKE\n"
    upload = imports.save_upload(io.BytesIO(csv.encode()), "c.csv", "credentials", org.admin_user)
    mapping = imports.suggest_mapping("credentials", upload.table().headers)
    imports.apply(upload, mapping, org.admin_user)
    assert [c.license_number for c in db.session.scalars(select(Credential))] == ["REAL"]


def test_a_failing_apply_writes_nothing(app, org, monkeypatch):
    upload = imports.save_upload(io.BytesIO(PEOPLE_CSV.encode()), "h.csv", "people", org.admin_user)
    mapping = imports.suggest_mapping("people", upload.table().headers)
    before = _counts()
    calls = {"n": 0}
    real_record = imports.audit.record

    def failing_record(*args, **kwargs):  # fault injection: the second audit write fails
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_record(*args, **kwargs)

    monkeypatch.setattr("portal.services.audit.record", failing_record)
    with pytest.raises(RuntimeError):
        imports.apply(upload, mapping, org.admin_user)
    monkeypatch.undo()
    assert _counts() == before


def test_upload_requests_make_one_notification_per_imported_credential(app, org, admin_client):
    from tests.support import factories

    imported = factories.credential(org.employee, org.bls, verified=False, source="import")
    db.session.commit()
    for _ in range(2):
        admin_client.post("/admin/integrations/imports/requests", data={"credential": [str(imported.id)]})
    notes = db.session.scalars(select(Notification)).all()
    assert len(notes) == 1
    assert (notes[0].kind, notes[0].person_id, notes[0].recipient_email) == ("request", org.employee.id, org.employee.email)


def test_fifty_thousand_rows_can_be_previewed(app, org):
    csv = "Emp ID,Given name,Surname\n" + "".join(f"B{i:05d},First{i},Last{i}\n" for i in range(50_000))
    upload = imports.save_upload(io.BytesIO(csv.encode()), "big.csv", "people", org.admin_user)
    result = imports.preview(upload, imports.suggest_mapping("people", upload.table().headers))
    assert len(result.rows) == 50_000 and result.counts["create"] == 50_000


def test_not_a_zip_xlsx_and_zip_without_workbook(app, org):
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("hello.txt", "not excel")
    with pytest.raises(Invalid):
        imports.save_upload(io.BytesIO(bad.getvalue()), "z.xlsx", "people", org.admin_user)


def test_htmx_swaps_just_the_preview(admin_client):
    """The preview block rendered alone (a filter or page asked by HTMX) sees
    its own outcome styles: it used the template's top-level ones and answered 500."""
    import_id = _import_id(_upload(admin_client, PEOPLE_CSV.encode(), "hris.csv", "people"))
    form = _form(admin_client.get(f"/admin/integrations/imports/{import_id}").get_data(as_text=True))
    for show in ("all", "create", "error"):
        response = admin_client.get(f"/admin/integrations/imports/{import_id}", query_string={**form, "show": show},
                                    headers={"HX-Request": "true"})
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:800]
        assert html.lstrip().startswith('<div id="preview">') and "<html" not in html
    created = admin_client.get(f"/admin/integrations/imports/{import_id}", query_string={**form, "show": "create"},
                               headers={"HX-Request": "true"}).get_data(as_text=True)
    assert created.count('badge text-bg-success">Create</span>') == 2
