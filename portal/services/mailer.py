"""Email: render a Notification row and deliver it, at most once.

How other areas send email
--------------------------
Create a ``Notification`` row and hand it to ``queue``::

    from portal.policies import notification_keys
    from portal.services import mailer

    mailer.queue(Notification(
        unique_key=notification_keys.rejected_document(doc.id, doc.version),  # makes it idempotent
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
existing row and adds nothing. ``queue_many`` does the same for many rows
with one lookup (the daily scan's own bulk path is ``queue_selected``). ``send_pending()`` sends every due row now
(the periodic sender calls it; the CLI and demo too).

Templates: ``templates/email/<kind>.html`` and ``.txt`` are rendered with
``notification`` (the row), ``ctx`` (the row's ``context``, plus whatever
its ``MailType.context`` adds; kinds are listed in ``portal.services.mail_types``), ``links`` and ``app_name``. A kind without
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

Over SMTP a message cannot be taken back, so each row is marked
``delivering`` (committed) just before it is handed to the server. An
ambiguous outcome is never retried blindly: a timeout or a dropped
connection while waiting for the reply to DATA (the server may have stored
it), or a worker that died while ``delivering`` (settled after the lease by
``settle_interrupted``), leaves the row ``unknown``; an operator can resend it
from the Outbox (``resend``, audited). A 421 (or any reply after which
smtplib closed the socket) closes the session's connection, and the next
message opens a new one.
"""
from __future__ import annotations

import email.charset
import email.encoders
import hashlib
import logging
import os
import smtplib
import socket
import threading
from io import BytesIO
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, format_datetime, parseaddr
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import cast, event, literal, or_, select, update
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
    _add([notification])
    return notification


def queue_many(notifications) -> list[Notification]:
    """``queue`` for many rows at once (a run of digests, an import's upload
    requests): one lookup of their keys and one flush, however many rows.
    Returns the rows added; a key already stored (or repeated) adds nothing."""
    wanted = list(notifications)
    if not wanted:
        return []
    stored = set(db.session.scalars(select(Notification.unique_key).where(
        Notification.unique_key.in_({n.unique_key for n in wanted}))))
    added = []
    for notification in wanted:
        if notification.unique_key not in stored:
            stored.add(notification.unique_key)
            added.append(notification)
    _add(added)
    return added


def _add(notifications: list[Notification]) -> None:
    if not notifications:
        return
    now = utcnow()
    for notification in notifications:
        notification.state = notification.state or "pending"
        notification.attempts = notification.attempts or 0
        notification.next_attempt_at = notification.next_attempt_at or now
        if notification.context is None:
            notification.context = {}
        db.session.add(notification)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).extend(n.id for n in notifications)


def enqueue(notification_ids) -> None:
    """Enqueue a send task per id (a failure to enqueue is left to the sweeper)."""
    from jobs.reminders import send_notification

    for notification_id in notification_ids:
        try:
            send_notification(notification_id)
        except Exception:  # the periodic sender picks up anything not enqueued
            log.exception("could not enqueue notification %s", notification_id)


# The scan's bulk path: rows straight from an INSERT ... SELECT.
SELECTED_COLUMNS = ("unique_key", "kind", "step", "person_id", "credential_id", "credential_type_id",
                    "recipient_person_id", "recipient_email", "due_on", "state", "attempts",
                    "next_attempt_at", "context", "created_at")


def queue_selected(query, columns: dict[str, Any]) -> int:
    """The one bulk way to create notifications (the daily scan): insert a row
    per result of ``query`` (a ``select()`` with its joins and filters), with
    ``columns`` giving each of ``unique_key, kind, step, person_id, ...`` as a
    SQL expression. Keys already stored are skipped (ON CONFLICT DO NOTHING).
    No send task is enqueued: the caller sends them in bulk (``send_pending``)
    after its commit. Returns the number of rows written.
    """
    now = utcnow()
    values = {"attempts": literal(0), "next_attempt_at": literal(now), "created_at": literal(now),
              "context": cast(literal("{}"), Notification.__table__.c.context.type), **columns}
    select_ = query.add_columns(*(values[name].label(name) for name in SELECTED_COLUMNS))
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(Notification).from_select(list(SELECTED_COLUMNS), select_)
    statement = statement.on_conflict_do_nothing(index_elements=["unique_key"])
    # rowcount is -1 for INSERT ... SELECT on some drivers: count what came back
    return len(db.session.execute(statement.returning(Notification.id)).all())


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


@dataclass(frozen=True)
class MailType:
    """A kind of email and its hooks, all given the row and the ``Batch`` it is
    sent in (whose ``loaded[kind]`` is what ``preload`` returned for the batch's
    rows of that kind, so a batch costs a fixed number of queries, not some per
    row). Listed in ``portal.services.mail_types`` and registered at start-up."""

    kind: str
    preload: Callable[[list[Notification], "Batch"], Any] | None = None
    context: Callable[[Notification, "Batch"], dict[str, Any]] | None = None  # merged over the row's context
    attachments: Callable[[Notification, dict], list] | None = None
    still_wanted: Callable[[Notification, "Batch"], str | None] | None = None  # a reason to skip, or None
    default_subject: str | None = None


MAIL_TYPES: dict[str, MailType] = {}


def register(mail_type: MailType) -> None:
    MAIL_TYPES[mail_type.kind] = mail_type


def init_app(app, mail_types) -> None:
    """Register the portal's mail types (``portal.services.mail_types.MAIL_TYPES``)."""
    for mail_type in mail_types:
        register(mail_type)


def mail_type(kind: str) -> MailType:
    return MAIL_TYPES.get(kind) or MailType(kind)


class Batch:
    """Notifications sent together, and what rendering them needs, loaded once.

    ``people``: every holder and recipient by id; ``failing``: the addresses
    among the recipients marked as failing; ``loaded[kind]``: the kind's
    preloaded data. ``Batch.load(rows)`` runs a fixed number of queries.
    """

    def __init__(self, rows: list[Notification]):
        self.rows = rows
        self.people: dict[int, Person] = {}
        self.failing: set[str] = set()
        self.loaded: dict[str, Any] = {}

    @classmethod
    def load(cls, rows: list[Notification]) -> "Batch":
        batch = cls(rows)
        person_ids = {i for r in rows for i in (r.person_id, r.recipient_person_id) if i}
        if person_ids:
            batch.people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(person_ids)))}
        emails = {r.recipient_email for r in rows}
        if emails:
            batch.failing = set(db.session.scalars(select(Person.email).where(
                Person.email.in_(emails), Person.email_failing_since.is_not(None))))
        # kinds sharing a preloader (reminder, escalation, missing) load together
        by_loader: dict[Callable, list[Notification]] = {}
        for row in rows:
            loader = mail_type(row.kind).preload
            if loader is not None:
                by_loader.setdefault(loader, []).append(row)
        for loader, loader_rows in by_loader.items():
            loaded = loader(loader_rows, batch)
            for row in loader_rows:
                batch.loaded[row.kind] = loaded
        return batch


def _mail_cache() -> dict:
    return current_app.extensions.setdefault("credwatch_mailer", {})


def _url_adapter():
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    cache = _mail_cache()
    if cache.get("adapter_base") != base:
        parts = urlsplit(base)
        cache["adapter"] = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                                    url_scheme=parts.scheme or "http")
        cache["adapter_base"] = base
    return cache["adapter"]


def public_url(endpoint: str, **values) -> str:
    """An absolute link into the portal for email, built on PUBLIC_BASE_URL.

    Every area is registered at start-up (``portal.blueprints.BLUEPRINTS``), so an endpoint
    that does not build is a bug: Werkzeug's BuildError says so, rather than a
    message going out with a link to the home page."""
    adapter = _url_adapter()
    return adapter.build(endpoint, values, force_external=True)


class _Renderer:
    """Renders email templates as if requested from PUBLIC_BASE_URL by nobody in
    particular (context processors see an anonymous user, never a real one):
    one request context and one run of the context processors per batch;
    compiled templates are looked up once per name."""

    def __init__(self):
        self._templates: dict[tuple[str, ...], Any] = {}
        self._base: dict[str, Any] | None = None
        self._request = None

    def __enter__(self) -> "_Renderer":
        base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
        self._request = current_app.test_request_context("/", base_url=base)
        self._request.push()
        self._base = {}
        current_app.update_template_context(self._base)
        return self

    def __exit__(self, *exc) -> None:
        self._request.pop()

    def template(self, names: tuple[str, ...]):
        if names not in self._templates:
            self._templates[names] = current_app.jinja_env.get_or_select_template(list(names))
        return self._templates[names]

    def render(self, names: tuple[str, ...], values: dict) -> str:
        return self.template(names).render({**self._base, **values})


def render(notification: Notification, batch: Batch | None = None,
           renderer: _Renderer | None = None) -> Rendered:
    if renderer is None:
        with _Renderer() as own:
            return render(notification, batch, own)
    batch = batch or Batch.load([notification])
    ctx = dict(notification.context or {})
    kind = mail_type(notification.kind)
    if kind.context is not None:
        ctx.update(kind.context(notification, batch))
    subject = notification.subject or ctx.get("subject") or kind.default_subject or "A message from Credwatch"
    values = {
        "notification": notification, "ctx": ctx, "subject": subject,
        "app_name": "Credwatch", "portal_url": public_url("home.index"),
        "preferences_url": public_url("notifications.preferences"),
    }
    text = renderer.render((f"email/{kind.kind}.txt", "email/generic.txt"), values)
    html = renderer.render((f"email/{kind.kind}.html", "email/generic.html"), values)
    attachments = kind.attachments(notification, ctx) if kind.attachments is not None else []
    return Rendered(subject=subject, text=text, html=html, attachments=attachments)


def message_id(notification: Notification) -> str:
    """The same Message-ID for every attempt at one notification."""
    digest = hashlib.sha256(notification.unique_key.encode()).hexdigest()[:16]
    return f"<credwatch.{notification.id}.{digest}@{mail_domain()}>"


def mail_domain() -> str:
    sender = parseaddr(current_app.config.get("MAIL_SENDER") or "")[1]
    if "@" in sender:
        return sender.rsplit("@", 1)[1]
    return urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").hostname or "credwatch.local"


# Bodies as quoted-printable UTF-8: readable in the .eml, safe for any line.
_UTF8 = email.charset.Charset("utf-8")
_UTF8.header_encoding = email.charset.QP
_UTF8.body_encoding = email.charset.QP


def _header(value: str):
    return value if value.isascii() else Header(value, "utf-8")


def build_message(notification: Notification, rendered: Rendered | None = None,
                  batch: Batch | None = None) -> Message:
    """The MIME message (multipart/mixed: text + HTML alternatives, attachments).

    Built with the compat32 classes, which are several times faster than
    ``EmailMessage``'s header registry and produce the same standard MIME.
    """
    rendered = rendered or render(notification, batch)
    # Fixed boundaries ("=_" never occurs in quoted-printable or base64 text)
    # spare the generator a fresh regex per message to pick random ones.
    boundary = f"=_credwatch_{notification.id}_"
    body = MIMEMultipart("alternative", boundary=boundary + "alt")
    del body["MIME-Version"]
    for content, subtype in ((rendered.text, "plain"), (rendered.html, "html")):
        part = MIMENonMultipart("text", subtype)
        part.set_payload(content, _UTF8)
        del part["MIME-Version"]  # once, on the whole message
        body.attach(part)
    if rendered.attachments:
        msg = MIMEMultipart("mixed", boundary=boundary + "mix")
        msg.attach(body)
        for filename, mime, content in rendered.attachments:
            maintype, subtype = mime.split("/", 1)
            part = MIMEBase(maintype, subtype)
            del part["MIME-Version"]
            part.set_payload(content)
            email.encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=filename)
            msg.attach(part)
    else:
        msg = body
    if "MIME-Version" not in msg:
        msg["MIME-Version"] = "1.0"
    msg["Subject"] = _header(rendered.subject)
    msg["From"] = current_app.config.get("MAIL_SENDER") or "Credwatch <no-reply@credwatch.local>"
    msg["To"] = formataddr((_recipient_name(notification, batch), notification.recipient_email))
    msg["Date"] = format_datetime((notification.created_at or utcnow()).replace(tzinfo=timezone.utc))
    msg["Message-ID"] = message_id(notification)
    msg["X-Credwatch-Notification"] = str(notification.id)
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def _recipient_name(notification: Notification, batch: Batch | None = None) -> str:
    if notification.recipient_person_id:
        if batch is not None and notification.recipient_person_id in batch.people:
            person = batch.people[notification.recipient_person_id]
        else:
            person = db.session.get(Person, notification.recipient_person_id)
        if person is not None:
            return person.full_name
    return ""


# --------------------------------------------------------------------------- delivery

class OutcomeUnknown(Exception):
    """The server may have the message: the body was handed over and the reply
    never came (a timeout, a dropped connection). Sending again could deliver
    it twice, so the row is marked ``unknown`` for an operator to check."""


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


class _Generator(BytesGenerator):
    """``BytesGenerator`` writing short ASCII headers as they are: the policy's
    folding (an ``email.header.Header`` per header) would return them
    unchanged, at a third of the cost of serialising a message."""

    def _write_headers(self, msg):
        for name, value in msg.raw_items():
            if (isinstance(value, str) and len(name) + len(value) < 77 and value.isascii()
                    and "\n" not in value and "\r" not in value):
                self._fp.write(f"{name}: {value}".encode("ascii") + self._encoded_NL)
            else:
                self._fp.write(self.policy.fold_binary(name, value))
        self.write(self._NL)


def as_bytes(msg: Message) -> bytes:
    buffer = BytesIO()
    _Generator(buffer, mangle_from_=False, policy=msg.policy).flatten(msg)
    return buffer.getvalue()


def write_to_outbox(notification: Notification, msg: Message) -> None:
    """Atomically write the message; a second write replaces, never duplicates."""
    folder = outbox_folder()
    target = outbox_path(notification.id)
    tmp = folder / f".{target.stem}.{os.getpid()}.{threading.get_ident()}.tmp"
    data = as_bytes(msg)
    try:
        try:
            handle = open(tmp, "wb")
        except FileNotFoundError:
            folder.mkdir(parents=True, exist_ok=True)
            handle = open(tmp, "wb")
        with handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class SmtpSession:
    """One SMTP connection for a batch of messages: opened on first use,
    closed after a connection-level failure (the next message opens a new
    one) and every ``SMTP_MESSAGES_PER_CONNECTION`` messages, as many
    servers cap them. Each new connection costs a TCP handshake, STARTTLS
    and a login (1.4x the sending rate even on loopback, bench/reminders.py),
    and providers throttle senders that open one per message."""

    def __init__(self):
        self._smtp: smtplib.SMTP | None = None
        self._sent = 0

    def __enter__(self) -> "SmtpSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _connection(self) -> "_Connection":
        config = current_app.config
        if self._smtp is not None and self._sent >= int(config.get("SMTP_MESSAGES_PER_CONNECTION") or 100):
            self.close()
        if self._smtp is None:
            smtp = _Connection(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                               timeout=float(config.get("SMTP_TIMEOUT") or 10))
            try:
                if config.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if config.get("SMTP_USERNAME"):
                    smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp, self._sent = smtp, 0
        return self._smtp

    def send(self, msg: Message, recipient: str) -> None:
        """Send one message; raise TemporaryFailure, PermanentFailure or OutcomeUnknown."""
        smtp = None
        try:
            smtp = self._connection()
            smtp.body_sent = False
            smtp.send_message(msg, from_addr=parseaddr(msg["From"])[1], to_addrs=[recipient])
            self._sent += 1
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            if code == 421 or smtp.sock is None:
                # smtplib closed the channel after a 421: the next message
                # needs a new connection, not this dead one.
                self.close()
            # Otherwise the server answered and the transaction was reset:
            # the connection stays usable for the next message.
            text = f"{code} {_reply_text(reply)}"
            if 400 <= code < 500:
                raise TemporaryFailure(text) from error
            raise PermanentFailure(text, address_refused=True) from error
        except smtplib.SMTPResponseException as error:
            self.close()  # a 421 closes the channel; a fresh one is cheap
            text = f"{error.smtp_code} {_reply_text(error.smtp_error)}"
            if 400 <= error.smtp_code < 500:
                raise TemporaryFailure(text) from error
            raise PermanentFailure(text) from error
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout,
                TimeoutError, ConnectionError, OSError) as error:
            self.close()
            if smtp is not None and smtp.body_sent:
                raise OutcomeUnknown(f"No reply after the message was sent ({type(error).__name__}: {error}); "
                                     "the server may have delivered it.") from error
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error


class _Connection(smtplib.SMTP):
    """``smtplib.SMTP`` that knows whether the message body was handed over:
    ``data()`` reads two replies, the 354 to DATA and then the verdict on the
    message; a failure while waiting for the second is an unknown outcome."""

    body_sent = False
    _data_replies: int | None = None

    def data(self, msg):
        self._data_replies = 0
        try:
            return super().data(msg)
        finally:
            self._data_replies = None

    def getreply(self):
        if self._data_replies is not None:
            self._data_replies += 1
            self.body_sent = self._data_replies == 2
        return super().getreply()


def _reply_text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def deliver(notification: Notification, msg: Message, smtp: SmtpSession) -> str:
    """Hand the message to SMTP (over the batch's shared ``smtp`` session) or
    the outbox; returns the channel used."""
    if current_app.config.get("SMTP_HOST"):
        # Committed before the server sees the message: if this worker dies
        # now, the row is settled as "unknown", never sent again blindly.
        _store([{"id": notification.id, "state": "delivering", "claimed_at": utcnow()}])
        smtp.send(msg, notification.recipient_email)
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


def claim_batch(ids, now: datetime | None = None) -> list[int]:
    """Take the rows among ``ids`` that are still due (committed): one
    conditional UPDATE ... RETURNING, so of two workers racing for a row
    exactly one gets it. Returns the ids this worker now holds."""
    ids = list(ids)
    if not ids:
        return []
    now = now or utcnow()
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), due_clause(now))
        .values(state="sending", claimed_at=now, attempts=Notification.attempts + 1)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return sorted(claimed)


def claim(notification_id: int, now: datetime | None = None) -> bool:
    """Take one row for sending (committed). False if someone else has it or it is done."""
    return bool(claim_batch([notification_id], now))


def still_wanted(notification: Notification, batch: Batch | None = None) -> str | None:
    """Why a claimed row should not be sent after all (None: send it)."""
    batch = batch or Batch.load([notification])
    check = mail_type(notification.kind).still_wanted
    return check(notification, batch) if check else None


def send(notification_id: int, now: datetime | None = None) -> str | None:
    """Claim and send one notification; return its new state (None: not ours to send).

    Runs in a fresh app context, so in a session of its own: it may be called
    from a caller's after-commit hook (``huey.immediate``) and never joins or
    commits the caller's transaction.
    """
    with current_app.app_context():
        now = now or utcnow()
        claimed = claim_batch([notification_id], now)
        states = _send_claimed(claimed, now)
        return states.get(notification_id)


def _send_claimed(ids: list[int], now: datetime) -> dict[int, str]:
    """Send rows this worker has claimed; record every outcome. Returns id -> state.

    Outcomes are written in bulk (one executemany per batch) when delivery is
    to the outbox: re-writing a file after a crash replaces it, so a batch lost
    before its outcomes are stored is re-sent later as the same files. Over
    SMTP a message cannot be taken back, so each outcome is committed as soon
    as the server has accepted (or refused) it.
    """
    if not ids:
        return {}
    rows = list(db.session.scalars(select(Notification).where(Notification.id.in_(ids))
                                   .order_by(Notification.id)))
    batch = Batch.load(rows)
    per_message = bool(current_app.config.get("SMTP_HOST"))
    outcomes: list[dict[str, Any]] = []
    states: dict[int, str] = {}
    session = db.session()
    # A commit per message must not expire the batch's few hundred loaded
    # objects, which the next message would reload one query at a time.
    # Outcomes are written with Core updates; nothing read here changes.
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        with _Renderer() as renderer, SmtpSession() as smtp:
            for row in rows:
                outcome = _send_one(row, batch, renderer, smtp, now)
                states[row.id] = outcome["state"]
                outcomes.append(outcome)
                if per_message:
                    _store(outcomes)
                    outcomes = []
        _store(outcomes)
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()
    return states


def _send_one(row: Notification, batch: Batch, renderer: _Renderer, smtp: SmtpSession,
              now: datetime) -> dict[str, Any]:
    outcome: dict[str, Any] = {"id": row.id, "next_attempt_at": None, "last_error": None}
    check = mail_type(row.kind).still_wanted
    skip = check(row, batch) if check is not None else None
    if skip is None and row.recipient_email in batch.failing:
        skip = "The address is marked as failing; HR has been told."
    if skip is not None:
        return dict(outcome, state="skipped", last_error=skip)
    try:
        rendered = render(row, batch, renderer)
        outcome["subject"] = rendered.subject[:300]
        msg = build_message(row, rendered, batch)
        deliver(row, msg, smtp)
    except OutcomeUnknown as error:
        outcome.update(state="unknown", last_error=str(error)[:2000])
    except TemporaryFailure as error:
        outcome.update(_after_temporary_failure(row, str(error), now))
    except PermanentFailure as error:
        outcome.update(state="failed", last_error=str(error)[:2000])
        if error.address_refused:
            mark_address_failing(row.recipient_email, str(error))
            batch.failing.add(row.recipient_email)
    except Exception as error:  # a template bug: keep the row, say why, retry later
        log.exception("notification %s could not be sent", row.id)
        outcome.update(_after_temporary_failure(row, f"{type(error).__name__}: {error}", now))
    else:
        outcome.update(state="sent", sent_at=utcnow(), message_id=msg["Message-ID"])
    return outcome


def _store(outcomes: list[dict[str, Any]]) -> None:
    """Write outcomes with one executemany per set of columns, then commit."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for outcome in outcomes:
        groups.setdefault(tuple(sorted(outcome)), []).append(outcome)
    for group in groups.values():
        db.session.execute(update(Notification), group)
    db.session.commit()


def _after_temporary_failure(notification: Notification, error: str, now: datetime) -> dict[str, Any]:
    if notification.attempts >= _max_attempts():
        return {"state": "failed", "next_attempt_at": None, "last_error": error[:2000]}
    return {"state": "retry", "next_attempt_at": now + backoff(notification.attempts),
            "last_error": error[:2000]}


INTERRUPTED = ("The sender stopped while handing this message to the mail server; it may have been "
               "delivered. Check with the recipient, then resend it from the Outbox if needed.")


def settle_interrupted(now: datetime | None = None) -> int:
    """Rows a dead worker was handing to the server ("delivering" past the
    lease) become "unknown": sending them again could deliver them twice."""
    now = now or utcnow()
    settled = db.session.execute(
        update(Notification)
        .where(Notification.state == "delivering", Notification.claimed_at <= now - _lease())
        .values(state="unknown", last_error=INTERRUPTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return settled


RESENDABLE_STATES = ("unknown", "failed")


def resend(notification: Notification, actor) -> bool:
    """An operator's decision to send an unknown or failed row again (audited,
    committed; it is sent after the commit). False: not in a state to resend."""
    if notification.state not in RESENDABLE_STATES:
        return False
    before = audit.snapshot(notification, ("state", "attempts", "last_error"))
    notification.state, notification.attempts = "pending", 0
    notification.next_attempt_at, notification.last_error = utcnow(), None
    audit.record("notification.resent", notification, before=before,
                 after=audit.snapshot(notification, ("state", "attempts", "last_error")), actor=actor)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append(notification.id)
    db.session.commit()
    return True


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
    """HR fixed (or checked) the address: try it again from now on (audited, committed)."""
    before = audit.snapshot(person, ("email_failing_since", "email_failing_reason"))
    person.email_failing_since = None
    person.email_failing_reason = None
    audit.record("person.email_failing_cleared", person, before=before,
                 after=audit.snapshot(person, ("email_failing_since", "email_failing_reason")),
                 actor=actor)
    db.session.commit()


def due_ids(now: datetime | None = None, limit: int | None = 1000, after_id: int = 0) -> list[int]:
    now = now or utcnow()
    query = select(Notification.id).where(due_clause(now), Notification.id > after_id).order_by(Notification.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def batch_size() -> int:
    return max(int(current_app.config.get("MAIL_BATCH_SIZE", 200)), 1)


def send_pending(now: datetime | None = None, limit: int | None = 1000) -> dict[str, int]:
    """Send every due row now, in this process, in batches: each batch is
    claimed with one UPDATE, its context loaded with a fixed number of
    queries and its outcomes stored in bulk. Returns counts by new state."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    after_id, seen = 0, 0
    with current_app.app_context():
        settle_interrupted(now)
        while limit is None or seen < limit:
            size = batch_size() if limit is None else min(batch_size(), limit - seen)
            ids = due_ids(now, size, after_id)
            if not ids:
                break
            after_id, seen = ids[-1], seen + len(ids)
            for state in _send_claimed(claim_batch(ids, now), now).values():
                counts[state] = counts.get(state, 0) + 1
    return counts


__all__ = [
    "Batch", "MAIL_TYPES", "OutcomeUnknown", "resend", "settle_interrupted", "MailType", "PermanentFailure", "init_app", "mail_type", "queue_selected", "register",
    "TemporaryFailure", "build_message", "claim", "claim_batch", "clear_address_failing", "deliver", "due_ids",
    "enqueue", "mark_address_failing", "message_id", "outbox_path", "public_url", "queue", "queue_many", "render",
    "send", "send_pending",
]
