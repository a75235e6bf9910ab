"""Roster and exclusion imports as jobs: queued -> running -> done / failed, idempotent,
taken up again after a dead worker (in-process here; a real consumer killed mid-file below)."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import update

from portal.errors import Invalid
from portal.extensions import db
from portal.models import AuditEvent, ExclusionMatch, Verification, VerificationImport, utcnow
from portal.services.verification import rosters
from tests.reliability.conftest import wait_until
from tests.verification.test_rosters import LEIE_HEADER

ERIN = "EMPLOYEE,ERIN,,,NURSE,,,,19800101,,,OH,,1128a1,20250105,00000000,,\n"
MAX = "MANAGER,MAX,,,,,,,,,,OH,,1128a1,20250105,00000000,,\n"


def _filler(count: int) -> list[str]:
    import random
    import string

    rng = random.Random(14)
    return ["".join(rng.choice(string.ascii_uppercase) for _ in range(8)) + ",QQ" + str(i)
            + ",,,,,,,,,,OH,,1128a1,20250105,00000000,,\n" for i in range(count)]


def _leie(rows: list[str]) -> io.BytesIO:
    return io.BytesIO((LEIE_HEADER + "".join(rows)).encode())


def _row(import_id: int) -> VerificationImport:
    db.session.expire_all()
    return db.session.get(VerificationImport, import_id)


def _actions(import_id: int) -> list[str]:
    return [e.action for e in db.session.query(AuditEvent).filter_by(entity_type="VerificationImport",
                                                                      entity_id=str(import_id))
            .order_by(AuditEvent.id)]


def test_an_upload_is_stored_and_queued_then_the_job_imports_it_in_batches(app, org):
    from jobs.queue import huey

    app.config["VERIFICATION_IMPORT_BATCH_ROWS"] = 1_000
    huey.immediate = False  # the task waits in a real queue (this test's own), as behind a busy worker
    try:
        record = rosters.submit(_leie(_filler(2_500) + [ERIN]), "LEIE.csv", "exclusion", actor=org.admin_user)
        assert (_row(record.id).state, _row(record.id).processed, huey.pending_count()) == ("queued", 0, 1)
        huey.execute(huey.dequeue())
    finally:
        huey.immediate = True

    done = _row(record.id)
    assert (done.state, done.rows, done.processed, done.matched, done.alerts) == ("done", 2_501, 2_501, 1, 1)
    assert (done.attempts, done.error) == (1, None) and done.finished_at >= done.started_at
    assert _actions(record.id) == ["verification.import_queued", "verification.imported"]
    assert rosters.run(record.id) is None  # the task delivered twice: nothing happens again
    assert db.session.query(ExclusionMatch).count() == 1 and _row(record.id).alerts == 1


def test_unknown_columns_are_refused_at_upload_before_anything_is_queued(org):
    with pytest.raises(Invalid) as refused:
        rosters.submit(io.BytesIO(b"Nurse,Number\nA,B\n"), "roster.csv", "roster")
    assert (refused.value.field, "no column for license number" in refused.value.message) == ("file", True)
    assert db.session.query(VerificationImport).count() == 0


def test_an_import_whose_stored_file_went_missing_fails_and_says_why(org):
    from portal.services.documents import stored_path

    record = rosters.receive(_leie([ERIN]), "LEIE.csv", "exclusion")
    stored_path(record.sha256).unlink()  # the upload volume lost it between upload and job

    failed = rosters.run(record.id)

    assert failed.state == "failed" and "stored file could not be read" in failed.error
    assert _actions(record.id) == ["verification.import_queued", "verification.import_failed"]
    assert db.session.query(ExclusionMatch).count() == 0


def test_the_same_file_refused_as_a_certificate_keeps_the_waiting_imports_file(org):
    """The upload store is content-addressed: refusing a CSV sent as a certificate must not drop
    the stored file an import still waits to read."""
    from portal.services import documents

    record = rosters.receive(_leie([ERIN]), "LEIE.csv", "exclusion")
    with pytest.raises(documents.UploadRefused):
        documents.upload(_leie([ERIN]), "LEIE.csv", org.employee, org.employee_user)
    assert rosters.run(record.id).state == "done"


def _left_running(record: VerificationImport, processed: int, silent_for: timedelta) -> None:
    """What a worker killed mid-file leaves: running, its attempt counted, batches up to ``processed``."""
    db.session.execute(update(VerificationImport).where(VerificationImport.id == record.id).values(
        state="running", attempts=VerificationImport.attempts + 1, processed=processed,
        progress_at=utcnow() - silent_for))
    db.session.commit()


def test_the_sweep_takes_up_a_lost_task_and_a_dead_workers_import_and_resumes_after_the_last_batch(org):
    lost = rosters.receive(_leie([ERIN]), "lost.csv", "exclusion")  # committed, but its task never ran
    dead = rosters.receive(_leie(_filler(3) + [MAX]), "dead.csv", "exclusion")
    _left_running(dead, processed=3, silent_for=rosters.STUCK_AFTER + timedelta(minutes=1))
    busy = rosters.receive(_leie([MAX]), "busy.csv", "exclusion")
    _left_running(busy, processed=0, silent_for=timedelta(minutes=1))  # a live worker between batches

    assert rosters.sweep() == {"recovered": [dead.id], "failed": [], "requeued": []}  # huey.immediate: ran
    assert [_row(i.id).state for i in (lost, dead, busy)] == ["queued", "done", "running"]
    assert (_row(dead.id).processed, _row(dead.id).rows, _row(dead.id).attempts) == (4, 4, 2)

    later = utcnow() + rosters.LOST_IN_QUEUE_AFTER + timedelta(minutes=1)
    assert rosters.sweep(now=later) == {"recovered": [busy.id], "failed": [], "requeued": [lost.id]}
    assert [_row(i.id).state for i in (lost, dead, busy)] == ["done", "done", "done"]
    assert "verification.import_recovered" in _actions(dead.id)


def test_an_import_whose_worker_died_too_often_fails_and_says_so(org):
    record = rosters.receive(_leie([ERIN]), "LEIE.csv", "exclusion")
    for _ in range(rosters.MAX_ATTEMPTS):
        _left_running(record, processed=0, silent_for=rosters.STUCK_AFTER * 2)
    assert rosters.sweep()["failed"] == [record.id]
    failed = _row(record.id)
    assert failed.state == "failed" and f"stopped {rosters.MAX_ATTEMPTS} times" in failed.error


def test_a_run_that_lost_its_import_to_another_commits_nothing(app, org):
    """A worker presumed dead that wakes up after the sweep handed its import on."""
    record = rosters.receive(_leie([ERIN]), "LEIE.csv", "exclusion")
    _left_running(record, processed=0, silent_for=timedelta(0))
    assert rosters._commit_batch(record.id, attempt=0, rows=1, done=1, tally=rosters.Tally(1, 1)) is False
    assert _row(record.id).processed == 0


def test_the_admin_page_polls_a_waiting_import_until_it_is_done(admin_client, org):
    record = rosters.receive(_leie([ERIN]), "LEIE.csv", "exclusion", actor=org.admin_user)
    page = admin_client.get("/admin/verification").get_data(as_text=True)
    assert f'id="import-{record.id}"' in page and 'hx-trigger="every 2s"' in page and "Waiting" in page

    rosters.run(record.id)
    fragment = admin_client.get(f"/admin/verification/imports/{record.id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li class="list-group-item small import-status" id="import-{record.id}"')
    assert "Done" in body and "1 rows, 1 matched, 1 alerts" in body and "hx-trigger" not in body
    assert admin_client.get("/admin/verification/imports/999").status_code == 404


def test_a_running_import_shows_its_counts_so_far_and_keeps_polling(admin_client, org):
    record = rosters.receive(_leie([ERIN]), "LEIE.csv", "exclusion")
    _left_running(record, processed=2_000, silent_for=timedelta(0))
    db.session.execute(update(VerificationImport).where(VerificationImport.id == record.id).values(
        rows=80_000, matched=3, alerts=1))
    db.session.commit()
    body = admin_client.get(f"/admin/verification/imports/{record.id}", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    assert "Importing" in body and "2,000 of 80,000 rows so far: 3 matched, 1 alerts" in body
    assert 'hx-trigger="every 2s"' in body and '<progress class="import-progress w-100" max="80000" value="2000"' in body


def test_a_failed_import_shows_why_on_its_row(app, admin_client, org):
    app.config["VERIFICATION_IMPORT_MAX_ROWS"] = 1
    admin_client.post("/admin/verification/imports", data={"kind": "exclusion", "file": (_leie([ERIN, MAX]),
                                                                                         "LEIE.csv")},
                      content_type="multipart/form-data")
    page = admin_client.get("/admin/verification").get_data(as_text=True)
    assert "Failed" in page and "more than 1 rows" in page and "The file is kept." in page


def test_a_failed_import_tried_again_goes_on_after_its_last_batch_with_tries_of_its_own(app, org):
    record = rosters.receive(_leie(_filler(3) + [MAX]), "LEIE.csv", "exclusion", actor=org.admin_user)
    for _ in range(rosters.MAX_ATTEMPTS):  # its worker died three times, the third after 3 rows
        _left_running(record, processed=3, silent_for=rosters.STUCK_AFTER * 2)
    assert rosters.sweep()["failed"] == [record.id] and "Try again" in _row(record.id).error

    from jobs.queue import huey

    huey.immediate = False  # see it wait in the queue, then run it
    try:
        queued = rosters.retry(record.id, actor=org.admin_user)
        assert (queued.state, queued.error, queued.processed, huey.pending_count()) == ("queued", None, 3, 1)
        with pytest.raises(Invalid):  # a second admin's click, or a double submit
            rosters.retry(record.id, actor=org.admin_user)
        # dying again counts from the retry: one death is not the fourth strike
        _left_running(record, processed=3, silent_for=rosters.STUCK_AFTER * 2)
        assert rosters.sweep() == {"recovered": [record.id], "failed": [], "requeued": []}
        while huey.pending_count():
            huey.execute(huey.dequeue())
    finally:
        huey.immediate = True
    done = _row(record.id)
    assert (done.state, done.processed, done.rows, done.alerts) == ("done", 4, 4, 1)
    assert "verification.import_retried" in _actions(record.id)
    with pytest.raises(Invalid):
        rosters.retry(record.id)


def test_the_try_again_button_of_a_failed_import(app, admin_client, compliance_client, employee_client, org):
    from portal.services.documents import stored_path

    record = rosters.receive(_leie([ERIN]), "LEIE.csv", "exclusion", actor=org.admin_user)
    path = stored_path(record.sha256)
    kept = path.read_bytes()
    path.unlink()  # the upload volume was not mounted when the job ran
    assert rosters.run(record.id).state == "failed"
    page = admin_client.get(f"/admin/verification/imports/{record.id}").get_data(as_text=True)
    assert "stored file could not be read" in page and "Try again" in page
    url = f"/admin/verification/imports/{record.id}/retry"
    assert employee_client.post(url).status_code == 403
    assert admin_client.post(url, csrf=False).status_code in (400, 403)
    assert _row(record.id).state == "failed"

    path.write_bytes(kept)  # the volume is back
    fragment = compliance_client.post(url, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert body.lstrip().startswith(f'<li class="list-group-item small import-status" id="import-{record.id}"')
    assert _row(record.id).state == "done" and "Done" in body  # huey.immediate: the job ran at once

    again = admin_client.post(url, follow_redirects=True).get_data(as_text=True)  # no JS, and not failed now
    assert "Only a failed import can be tried again" in again
    assert admin_client.post("/admin/verification/imports/999/retry").status_code == 404


def test_a_file_given_for_a_check_is_kept_when_the_same_bytes_are_refused_as_an_upload(app, org, held, signed):
    """The store is content-addressed: a refused upload must not delete a check's evidence."""
    from portal.services import documents
    from portal.services.verification import checks_for_upload

    evidence = signed
    check = checks_for_upload(held, io.BytesIO(evidence), "signed.pdf", actor=org.reviewer_user)
    assert check.evidence_sha256 and documents.stored_path(check.evidence_sha256).exists()
    app.config["UPLOAD_BYTES_PER_DAY"] = len(evidence) - 1  # refused once stored: over the day's bytes
    with pytest.raises(documents.UploadRefused) as refused:  # the same bytes, uploaded as a certificate
        documents.upload(io.BytesIO(evidence), "certificate.pdf", org.employee, org.employee_user)
    assert refused.value.code == "quota"
    assert documents.stored_path(check.evidence_sha256).read_bytes() == evidence


def test_who_sees_an_import(request, org):
    record = rosters.receive(_leie([ERIN]), "LEIE.csv", "exclusion")
    for who, status in (("employee_client", 403), ("reviewer_client", 403), ("compliance_client", 200)):
        assert request.getfixturevalue(who).get(f"/admin/verification/imports/{record.id}").status_code == status


def test_a_consumer_killed_mid_file_loses_nothing_and_the_next_one_finishes_without_alerting_twice(app, org,
                                                                                                 consumer):
    """A real huey_consumer (the Procfile's worker) is SIGKILLed while it applies a 100,000-row list."""
    rows = _filler(99_998)
    rows[50:50] = [ERIN]  # in the first batches: committed before the kill
    rows[99_000:99_000] = [MAX]  # after it
    batches = {"CREDWATCH_VERIFICATION_IMPORT_BATCH_ROWS": "200"}
    consumer.start(**batches)
    assert consumer.wait_for_log("consumer started", timeout=60), consumer.log()
    record = rosters.submit(_leie(rows), "LEIE.csv", "exclusion", actor=org.admin_user)

    assert wait_until(lambda: _row(record.id).processed >= 2_000, timeout=60, every=0.05), consumer.log()[-2000:]
    consumer.kill()
    killed = _row(record.id)
    assert killed.state == "running" and 2_000 <= killed.processed < 100_000, (killed.state, killed.processed)
    assert (killed.matched, killed.alerts) == (1, 1)

    # The consumer keeps the real clock (this module's tests run on a fixed day): judge from its last batch.
    later = killed.progress_at + rosters.STUCK_AFTER + timedelta(minutes=1)
    assert rosters.sweep(now=later)["recovered"] == [record.id]
    consumer.start(**batches)
    assert wait_until(lambda: _row(record.id).state == "done", timeout=120), consumer.log()[-2000:]

    done = _row(record.id)
    assert (done.rows, done.processed, done.matched, done.alerts, done.attempts) == (100_000, 100_000, 2, 2, 2)
    assert sorted(m.person_id for m in db.session.query(ExclusionMatch)) == sorted([org.employee.id,
                                                                                    org.manager.id])
    flagged = db.session.query(Verification).filter_by(import_id=record.id, method="exclusion").all()
    assert {v.credential.person_id for v in flagged} <= {org.employee.id, org.manager.id}
    assert len(flagged) == len({v.credential_id for v in flagged})  # no credential flagged twice


def test_an_import_interrupted_by_a_stopping_consumer_is_queued_again_and_finished_by_the_next(app, org,
                                                                                              consumer):
    """Started without --graceful-signal (huey's default), SIGTERM interrupts the running import: it goes
    back to queued at once, on the schedule, and the next consumer resumes it after its last batch."""
    from tests.reliability.conftest import procfile_command

    args = procfile_command("worker")
    at = args.index("--graceful-signal")
    del args[at:at + 2]
    batches = {"CREDWATCH_VERIFICATION_IMPORT_BATCH_ROWS": "200"}
    consumer.start(args, **batches)
    assert consumer.wait_for_log("consumer started", timeout=60), consumer.log()
    rows = _filler(99_999)
    rows[99_000:99_000] = [ERIN]
    record = rosters.submit(_leie(rows), "LEIE.csv", "exclusion")
    assert wait_until(lambda: _row(record.id).processed >= 2_000, timeout=60, every=0.05), consumer.log()[-2000:]

    consumer.terminate()
    stopped = _row(record.id)
    assert stopped.state == "queued" and stopped.processed < 100_000, (stopped.state, stopped.processed)

    consumer.start(**batches)
    assert wait_until(lambda: _row(record.id).state == "done", timeout=120), consumer.log()[-2000:]
    done = _row(record.id)
    assert (done.processed, done.matched, done.alerts, done.attempts) == (100_000, 1, 1, 2)
