"""Email: render a Notification row and deliver it, at most once.

How other areas send email
--------------------------
Create a ``Notification`` row and hand it to ``queue``::

    from portal.services import mailer

    mailer.queue(Notification(
        unique_key=f"review:doc:{doc.id}:rejected",   # makes it idempotent
        kind="review",                                 # templates/email/review.{html,txt}
        person_id=doc.person_id, document_id=doc.id,
        recipient_person_id=doc.person_id, recipient_email=doc.person.email,
        subject="Your certificate upload needs another look",
        context={"reason": "...", "document_name": "..."},
    ))
    db.session.commit()          # the send task is enqueued after this commit

``queue`` adds the row to the caller's session (nothing is committed here);
once the caller commits, a ``jobs.reminders.send_notification`` task is
enqueued for it. If the ``unique_key`` already exists, ``queue`` returns the
existing row and adds nothing. ``send_pending()`` sends every due row now
(the periodic sender calls it; the CLI and demo too).

Templates: ``templates/email/<kind>.html`` and ``.txt`` are rendered with
``notification`` (the row), ``ctx`` (the row's ``context``, plus whatever
``CONTEXT_BUILDERS[kind]`` adds), ``links`` and ``app_name``. A kind without
its own template uses ``email/generic.*``, which shows ``context["message"]``
and ``context["action_url"]``. The subject is the row's ``subject``, else
``context["subject"]``, else a builder's, else a generic one.

Delivery
--------
With ``SMTP_HOST`` unset (the default) a message is written as an ``.eml``
file into ``OUTBOX_FOLDER`` (readable from the admin Outbox page). With it
set, SMTP is used: temporary failures (4xx, timeouts, lost connections) are
retried with exponential backoff up to ``MAIL_MAX_ATTEMPTS``; a permanent
refusal of the recipient (5xx at RCPT) marks ``Person.email_failing_since``
so HR sees it in the portal.

At most once: a row is claimed by a conditional UPDATE (state -> sending)
before anything is sent, so two workers never send the same row. A claim
older than ``MAIL_SEND_LEASE_SECONDS`` means the worker died; the row is
claimed again and sent with the same deterministic Message-ID (and, for the
outbox, the same file name), so a retry after a crash is not a second email.
"""
from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import socket
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, format_datetime, parseaddr
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Notification, Person, utcnow
from portal.services import audit

log = logging.getLogger(__name__)

DUE_STATES = ("pending", "retry")
_PENDING_KEY = "credwatch_mail_pending"


# --------------------------------------------------------------------------- queueing

def queue(notification: Notification) -> Notification:
    """Add ``notification`` to the session; it is sent after the caller commits.

    Returns the row to use: ``notification`` itself, or the existing row when
    one with the same ``unique_key`` is already stored (nothing is added).
    """
    existing = db.session.scalar(
        select(Notification).where(Notification.unique_key == notification.unique_key)
    )
    if existing is not None:
        return existing
    notification.state = notification.state or "pending"
    notification.attempts = notification.attempts or 0
    notification.next_attempt_at = notification.next_attempt_at or utcnow()
    if notification.context is None:
        notification.context = {}
    db.session.add(notification)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append(notification.id)
    return notification


def enqueue(notification_ids) -> None:
    """Enqueue a send task per id (a failure to enqueue is left to the sweeper)."""
    from jobs.reminders import send_notification

    for notification_id in notification_ids:
        try:
            send_notification(notification_id)
        except Exception:  # the periodic sender picks up anything not enqueued
            log.exception("could not enqueue notification %s", notification_id)


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if ids:
        enqueue(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


# --------------------------------------------------------------------------- rendering

@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    attachments: list[tuple[str, str, bytes]]  # (filename, mime type, content)


# kind -> function(notification) -> dict merged over the row's context. The
# reminder service registers builders for "reminder", "escalation", "digest".
CONTEXT_BUILDERS: dict[str, Callable[[Notification], dict[str, Any]]] = {}
# kind -> function(notification, ctx) -> list of attachments
ATTACHMENT_BUILDERS: dict[str, Callable[[Notification, dict], list]] = {}

DEFAULT_SUBJECTS = {
    "review": "About your certificate upload",
    "request": "Please upload your certificate",
    "digest": "Your weekly credentials digest",
}


def public_url(endpoint: str, fallback: str | None = None, **values) -> str:
    """An absolute link into the portal for email, built on PUBLIC_BASE_URL."""
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    parts = urlsplit(base)
    try:
        adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                           url_scheme=parts.scheme or "http")
        return adapter.build(endpoint, values, force_external=True)
    except Exception:  # endpoint not (yet) registered
        return base.rstrip("/") + (fallback or "/")


def render(notification: Notification) -> Rendered:
    import portal.services.reminders  # noqa: F401  (registers the reminder kinds)

    ctx = dict(notification.context or {})
    builder = CONTEXT_BUILDERS.get(notification.kind)
    if builder is not None:
        ctx.update(builder(notification))
    subject = notification.subject or ctx.get("subject") or DEFAULT_SUBJECTS.get(
        notification.kind, "A message from Credwatch")
    values = {
        "notification": notification, "ctx": ctx, "subject": subject,
        "app_name": "Credwatch", "portal_url": public_url("home.index", "/"),
        "preferences_url": public_url("notifications.preferences", "/me/notifications"),
    }
    text = _render_first([f"email/{notification.kind}.txt", "email/generic.txt"], values)
    html = _render_first([f"email/{notification.kind}.html", "email/generic.html"], values)
    attachments = []
    if notification.kind in ATTACHMENT_BUILDERS:
        attachments = ATTACHMENT_BUILDERS[notification.kind](notification, ctx)
    return Rendered(subject=subject, text=text, html=html, attachments=attachments)


def _render_first(names: list[str], values: dict) -> str:
    # Templates render as if requested from PUBLIC_BASE_URL by nobody in
    # particular: context processors see an anonymous user, never a real one.
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    for name in names:
        try:
            with current_app.test_request_context("/", base_url=base):
                return render_template(name, **values)
        except TemplateNotFound as missing:
            if missing.name != name:
                raise
    raise TemplateNotFound(names[-1])


def message_id(notification: Notification) -> str:
    """The same Message-ID for every attempt at one notification."""
    digest = hashlib.sha256(notification.unique_key.encode()).hexdigest()[:16]
    return f"<credwatch.{notification.id}.{digest}@{_mail_domain()}>"


def _mail_domain() -> str:
    sender = parseaddr(current_app.config.get("MAIL_SENDER") or "")[1]
    if "@" in sender:
        return sender.rsplit("@", 1)[1]
    return urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").hostname or "credwatch.local"


def build_message(notification: Notification, rendered: Rendered | None = None) -> EmailMessage:
    rendered = rendered or render(notification)
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = current_app.config.get("MAIL_SENDER") or "Credwatch <no-reply@credwatch.local>"
    msg["To"] = formataddr((_recipient_name(notification), notification.recipient_email))
    msg["Date"] = format_datetime(notification.created_at or utcnow())
    msg["Message-ID"] = message_id(notification)
    msg["X-Credwatch-Notification"] = str(notification.id)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    for filename, mime, content in rendered.attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _recipient_name(notification: Notification) -> str:
    if notification.recipient_person_id:
        person = db.session.get(Person, notification.recipient_person_id)
        if person is not None:
            return person.full_name
    return ""


# --------------------------------------------------------------------------- delivery

class TemporaryFailure(Exception):
    """Try again later (4xx, timeout, connection lost)."""


class PermanentFailure(Exception):
    """Do not try again. ``address_refused``: the recipient address itself."""

    def __init__(self, message: str, address_refused: bool = False):
        super().__init__(message)
        self.address_refused = address_refused


def outbox_folder() -> Path:
    return Path(current_app.config["OUTBOX_FOLDER"])


def outbox_path(notification_id: int) -> Path:
    return outbox_folder() / f"{notification_id:09d}.eml"


def write_to_outbox(notification: Notification, msg: EmailMessage) -> None:
    """Atomically write the message; a second write replaces, never duplicates."""
    folder = outbox_folder()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(msg.as_bytes())
        os.replace(tmp, outbox_path(notification.id))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def send_smtp(msg: EmailMessage, recipient: str) -> None:
    config = current_app.config
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                          timeout=float(config.get("SMTP_TIMEOUT") or 10)) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            sender = parseaddr(msg["From"])[1]
            smtp.send_message(msg, from_addr=sender, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()))
        text = f"{code} {_reply_text(reply)}"
        if 400 <= code < 500:
            raise TemporaryFailure(text) from error
        raise PermanentFailure(text, address_refused=True) from error
    except smtplib.SMTPResponseException as error:
        text = f"{error.smtp_code} {_reply_text(error.smtp_error)}"
        if 400 <= error.smtp_code < 500:
            raise TemporaryFailure(text) from error
        raise PermanentFailure(text) from error
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout,
            TimeoutError, ConnectionError, OSError) as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error


def _reply_text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def deliver(notification: Notification, msg: EmailMessage) -> str:
    """Hand the message to SMTP or the outbox; returns the channel used."""
    if current_app.config.get("SMTP_HOST"):
        send_smtp(msg, notification.recipient_email)
        return "smtp"
    write_to_outbox(notification, msg)
    return "outbox"


# --------------------------------------------------------------------------- sending

def _lease() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("MAIL_SEND_LEASE_SECONDS", 600)))


def _max_attempts() -> int:
    return int(current_app.config.get("MAIL_MAX_ATTEMPTS", 5))


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` tries: base, 2x, 4x... capped."""
    base = int(current_app.config.get("MAIL_RETRY_BASE_SECONDS", 60))
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), timedelta(hours=6))


def due_clause(now: datetime):
    """Rows a sender may claim at ``now``: due pending/retry rows, or stale claims."""
    return or_(
        Notification.state.in_(DUE_STATES)
        & or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        (Notification.state == "sending") & (Notification.claimed_at <= now - _lease()),
    )


def claim(notification_id: int, now: datetime | None = None) -> bool:
    """Take the row for sending (committed). False if someone else has it or it is done."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, due_clause(now))
        .values(state="sending", claimed_at=now, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def still_wanted(notification: Notification) -> str | None:
    """Why a claimed row should not be sent after all (None: send it)."""
    import portal.services.reminders  # noqa: F401  (registers the reminder kinds)

    check = STILL_WANTED_CHECKS.get(notification.kind)
    return check(notification) if check else None


# kind -> function(notification) -> reason to skip or None. The reminder
# service registers one that skips reminders for renewed credentials.
STILL_WANTED_CHECKS: dict[str, Callable[[Notification], str | None]] = {}


def send(notification_id: int, now: datetime | None = None) -> str | None:
    """Claim and send one notification; return its new state (None: not ours to send).

    Runs in a fresh app context, so in a session of its own: it may be called
    from a caller's after-commit hook (``huey.immediate``) and never joins or
    commits the caller's transaction.
    """
    with current_app.app_context():
        return _send(notification_id, now or utcnow())


def _send(notification_id: int, now: datetime) -> str | None:
    if not claim(notification_id, now):
        return None
    notification = db.session.get(Notification, notification_id)
    db.session.refresh(notification)
    skip = still_wanted(notification)
    if skip is None and _address_failing(notification.recipient_email):
        skip = "The address is marked as failing; HR has been told."
    if skip is not None:
        notification.state, notification.last_error = "skipped", skip
        notification.next_attempt_at = None
        db.session.commit()
        return "skipped"
    try:
        rendered = render(notification)
        notification.subject = rendered.subject[:300]
        msg = build_message(notification, rendered)
        deliver(notification, msg)
    except TemporaryFailure as error:
        _after_temporary_failure(notification, str(error), now)
    except PermanentFailure as error:
        notification.state, notification.next_attempt_at = "failed", None
        notification.last_error = str(error)[:2000]
        if error.address_refused:
            mark_address_failing(notification.recipient_email, str(error))
    except Exception as error:  # a template bug: keep the row, say why, retry later
        log.exception("notification %s could not be sent", notification_id)
        _after_temporary_failure(notification, f"{type(error).__name__}: {error}", now)
    else:
        notification.state, notification.sent_at = "sent", utcnow()
        notification.message_id = msg["Message-ID"]
        notification.next_attempt_at, notification.last_error = None, None
    db.session.commit()
    return notification.state


def _after_temporary_failure(notification: Notification, error: str, now: datetime) -> None:
    notification.last_error = error[:2000]
    if notification.attempts >= _max_attempts():
        notification.state, notification.next_attempt_at = "failed", None
    else:
        notification.state = "retry"
        notification.next_attempt_at = now + backoff(notification.attempts)


def _address_failing(email: str) -> bool:
    return db.session.scalar(
        select(Person.id).where(Person.email == email, Person.email_failing_since.is_not(None))
    ) is not None


def mark_address_failing(email: str, reason: str) -> Person | None:
    """Record a permanent refusal on the person with that address (audited)."""
    person = db.session.scalar(select(Person).where(Person.email == email))
    if person is None or person.email_failing_since is not None:
        return person
    before = audit.snapshot(person, ("email_failing_since", "email_failing_reason"))
    person.email_failing_since = utcnow()
    person.email_failing_reason = reason[:500]
    audit.record("person.email_failing", person, before=before,
                 after=audit.snapshot(person, ("email_failing_since", "email_failing_reason")),
                 actor="mailer")
    return person


def clear_address_failing(person: Person, actor=None) -> None:
    """HR fixed (or checked) the address: try it again from now on."""
    before = audit.snapshot(person, ("email_failing_since", "email_failing_reason"))
    person.email_failing_since = None
    person.email_failing_reason = None
    audit.record("person.email_failing_cleared", person, before=before,
                 after=audit.snapshot(person, ("email_failing_since", "email_failing_reason")),
                 actor=actor)


def due_ids(now: datetime | None = None, limit: int | None = 1000) -> list[int]:
    now = now or utcnow()
    query = select(Notification.id).where(due_clause(now)).order_by(Notification.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def send_pending(now: datetime | None = None, limit: int | None = 1000) -> dict[str, int]:
    """Send every due row now, in this process. Returns counts by new state."""
    counts: dict[str, int] = {}
    for notification_id in due_ids(now, limit):
        state = send(notification_id, now)
        if state is not None:
            counts[state] = counts.get(state, 0) + 1
    return counts


__all__ = [
    "ATTACHMENT_BUILDERS", "CONTEXT_BUILDERS", "PermanentFailure", "STILL_WANTED_CHECKS",
    "TemporaryFailure", "build_message", "claim", "clear_address_failing", "deliver", "due_ids",
    "enqueue", "mark_address_failing", "message_id", "outbox_path", "public_url", "queue", "render",
    "send", "send_pending",
]
