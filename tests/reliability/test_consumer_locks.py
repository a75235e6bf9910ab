"""A consumer killed while holding a periodic task's lock does not stop the next one."""
from __future__ import annotations

import subprocess
import sys

from portal.extensions import db
from portal.models import Notification, utcnow
from tests.reliability.conftest import ROOT, process_env, wait_until

HOLD_LOCK_AND_DIE = (
    "import os, signal\n"
    "from jobs.main import huey\n"
    "huey.lock_task('reminders-send-pending').__enter__()\n"  # what a running locked task holds
    "os.kill(os.getpid(), signal.SIGKILL)\n"
)


def _state(note_id):
    db.session.expire_all()
    return db.session.get(Notification, note_id).state


def test_the_procfile_consumer_sends_after_a_killed_one_left_its_lock(app, org, consumer):
    from jobs.reminders import send_pending_notifications

    note = Notification(unique_key="lock:1", kind="invite", person_id=org.employee.id,
                        recipient_person_id=org.employee.id, recipient_email="erin@example.org",
                        subject="Still sent", context={"message": "hello"}, state="pending", attempts=0,
                        next_attempt_at=utcnow())
    db.session.add(note)
    db.session.commit()
    died = subprocess.run([sys.executable, "-c", HOLD_LOCK_AND_DIE], cwd=ROOT, env=process_env(app))
    assert died.returncode == -9

    consumer.start()
    assert consumer.wait_for_log("consumer started", timeout=60), consumer.log()
    send_pending_notifications()
    assert wait_until(lambda: _state(note.id) == "sent", timeout=40), consumer.log()[-3000:]
    # (not "no lock warning at all": the scheduler may start the same task
    # alongside ours, and one of the two rightly waits for the other)
