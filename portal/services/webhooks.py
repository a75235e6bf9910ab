"""Webhooks: tell connected systems when something happened, signed and retried.

Other services call ``emit(event, event_key, payload)`` inside their own
transaction. It adds one ``WebhookDelivery`` row per active webhook that
subscribes to ``event`` (at most one per webhook and ``event_key``, so emitting
the same occurrence twice sends nothing new) and, once the caller commits,
enqueues a delivery task per row. Rolling back drops the rows and the tasks.

The database owns each delivery's state (pending -> sending -> delivered, or
retry with exponential backoff, or failed after MAX_ATTEMPTS); ``sweep()``
re-enqueues deliveries whose retry is due or whose worker died mid-send.

Each request is a POST of JSON with the headers::

    Credwatch-Event: credential.confirmed
    Credwatch-Delivery: 42                 (same id on every retry: deduplicate on it)
    Credwatch-Signature: t=1767225600,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>

Receivers check the signature with ``verify_signature`` (or its three lines of
HMAC) and refuse timestamps older than a few minutes.

Deliveries never reach loopback, private, link-local (cloud metadata),
shared, reserved or multicast addresses unless the instance sets
``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` (env ``CREDWATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true``,
e.g. for a receiver on the same network). The host is resolved when the
webhook is saved and again on every connection, and the connection goes to an
address that was checked, so a DNS answer that changes after registration
(rebinding) is refused too. Proxies from the environment are not used.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Webhook, WebhookDelivery, utcnow
from portal.services import audit
from portal.services.paging import Page, page_of

log = logging.getLogger(__name__)

EVENTS = {
    "credential.confirmed": "A reviewer confirmed a credential from a document.",
    "credential.expiring": "A credential reached a reminder step before its expiry.",
    "credential.expired": "A credential passed its expiry date.",
    "requirement.missing": "Someone lacks a credential their role or project requires.",
    "credential.verification_changed": "A credential's verification standing changed (verified, failed, ...).",
}
STATES = ("pending", "sending", "delivered", "retry", "failed")
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)   # 30 s, 1 min, 2 min, ... capped below
BACKOFF_CAP = timedelta(hours=6)
SEND_LEASE = timedelta(minutes=5)      # a "sending" row older than this was lost
TIMEOUT_SECONDS = 10
SIGNATURE_TOLERANCE_SECONDS = 300
USER_AGENT = "Credwatch-Webhooks/1"
_PENDING_KEY = "credwatch_webhook_deliveries"


# --- emitting ---------------------------------------------------------------

def emit(event: str, event_key: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Record deliveries of ``event`` for every subscribed active webhook.

    Runs in the caller's transaction (nothing is committed here); the delivery
    tasks are enqueued after the caller commits. ``event_key`` names the
    occurrence (e.g. ``credential.confirmed:42``): a second call with the same
    key adds nothing. Returns the deliveries added by this call.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    hooks = [
        hook for hook in db.session.scalars(select(Webhook).where(Webhook.active.is_(True)))
        if event in (hook.events or [])
    ]
    if not hooks:
        return []
    existing = set(db.session.scalars(
        select(WebhookDelivery.webhook_id).where(
            WebhookDelivery.event_key == event_key,
            WebhookDelivery.webhook_id.in_([h.id for h in hooks]),
        )
    ))
    body = audit.jsonable(payload)
    insert = _insert_ignoring_duplicates()
    added = []
    for hook in hooks:
        if hook.id in existing:
            continue
        # ON CONFLICT DO NOTHING: a concurrent emit of the same key costs this
        # row only, never the caller's transaction.
        delivery_id = db.session.scalar(
            insert.values(
                webhook_id=hook.id, event=event, event_key=event_key, payload=body,
                state="pending", attempts=0, next_attempt_at=utcnow(), created_at=utcnow(),
            ).on_conflict_do_nothing(index_elements=["webhook_id", "event_key"])
            .returning(WebhookDelivery.id)
        )
        if delivery_id is not None:
            added.append(db.session.get(WebhookDelivery, delivery_id))
    db.session.info.setdefault(_PENDING_KEY, []).extend(d.id for d in added)
    return added


def _insert_ignoring_duplicates():
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(WebhookDelivery)


def _enqueue(delivery_ids: Iterable[int]) -> None:
    from jobs.webhooks import deliver_webhook

    for delivery_id in delivery_ids:
        try:
            deliver_webhook(delivery_id)
        except Exception:  # the sweeper retries anything the queue lost
            log.exception("could not enqueue webhook delivery %s", delivery_id)


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if ids:
        _enqueue(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING_KEY, None)


# --- signing ----------------------------------------------------------------

def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``Credwatch-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, now: float | None = None,
                     tolerance: int = SIGNATURE_TOLERANCE_SECONDS) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is recent enough."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def request_body(delivery: WebhookDelivery) -> bytes:
    document = {
        "id": delivery.id,
        "event": delivery.event,
        "event_key": delivery.event_key,
        "created_at": audit.jsonable(delivery.created_at),
        "data": delivery.payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


# --- delivering -------------------------------------------------------------

@dataclass
class Attempt:
    delivered: bool
    status: int | None
    error: str | None
    refused: bool = False  # the address is not one we may post to: retrying cannot help


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer, not an instruction: following it could send the
    # signed payload somewhere the admin never registered.
    def redirect_request(self, *args, **kwargs):
        return None


class RefusedAddress(OSError):
    """The host resolves to an address webhooks may not reach."""


def allow_private_networks() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False))


def refused_reason(address: str) -> str | None:
    """What kind of address ``address`` is when webhooks may not reach it
    (None when they may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if ip.is_unspecified or ip.is_multicast:
        return "not a public internet address"
    if ip.is_private:
        return "in a private network"
    if ip.is_reserved or not ip.is_global:
        return "not a public internet address"
    return None


def _checked_addresses(host: str, port: int, allow_private: bool) -> list[tuple]:
    """getaddrinfo for ``host``, refusing it if ANY address is off-limits
    (a name with one public and one private address is not trusted)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not allow_private:
        for info in infos:
            address = info[4][0]
            reason = refused_reason(address)
            if reason:
                what = host.strip("[]") if host.strip("[]") == address else f"{host} resolves to {address}, which"
                raise RefusedAddress(f"{what} is {reason}; webhooks may not reach it")
    return infos


def _guarded_connection(allow_private: bool):
    """A ``socket.create_connection`` that connects only to checked addresses."""

    def create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **_):
        host, port = address
        last_error: OSError | None = None
        for family, kind, proto, _, sockaddr in _checked_addresses(host, port, allow_private):
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as error:
                sock.close()
                last_error = error
        raise last_error or OSError(f"could not connect to {host}")

    return create_connection


def _guarded(connection_class, allow_private: bool):
    """``connection_class`` whose TCP connections go only to checked addresses
    (HTTPSConnection.connect makes its socket through ``_create_connection``
    too, then wraps it in TLS for the host name)."""

    def make(host, **kwargs):
        connection = connection_class(host, **kwargs)
        connection._create_connection = _guarded_connection(allow_private)
        return connection

    return make


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    allow_private = False

    def http_open(self, req):
        return self.do_open(_guarded(http.client.HTTPConnection, self.allow_private), req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    allow_private = False

    def https_open(self, req):
        return self.do_open(_guarded(http.client.HTTPSConnection, self.allow_private), req, context=self._context)


def _opener(allow_private: bool):
    handlers = [_GuardedHTTPHandler(), _GuardedHTTPSHandler()]
    for handler in handlers:
        handler.allow_private = allow_private
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects, *handlers)


def post(url: str, body: bytes, headers: dict[str, str], allow_private: bool = False) -> Attempt:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener(allow_private).open(request, timeout=TIMEOUT_SECONDS) as response:
            return Attempt(200 <= response.status < 300, response.status, None)
    except urllib.error.HTTPError as error:
        return Attempt(False, error.code, f"HTTP {error.code} {error.reason}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, RefusedAddress):
            return Attempt(False, None, f"refused: {reason}"[:500], refused=True)
        return Attempt(False, None, f"{type(error).__name__}: {reason}"[:500])


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 30 s doubling, at most BACKOFF_CAP."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _own_session() -> Session:
    # Deliveries run in their own short session: they may be enqueued from the
    # caller's after-commit hook, and no transaction stays open over HTTP.
    return sessionmaker(bind=db.engine, expire_on_commit=False)()


def deliver(delivery_id: int, now: datetime | None = None) -> str | None:
    """Attempt one delivery if it is due; return its new state (None: not due).

    Claiming is a conditional UPDATE, so a task and the sweeper racing for the
    same row send it once.
    """
    now = now or utcnow()
    with _own_session() as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                _due(now),
            )
            .values(state="sending", attempts=WebhookDelivery.attempts + 1,
                    next_attempt_at=now + SEND_LEASE)
        ).rowcount
        session.commit()
        if not claimed:
            return None
        delivery = session.get(WebhookDelivery, delivery_id)
        hook = delivery.webhook
        body = request_body(delivery)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Credwatch-Event": delivery.event,
            "Credwatch-Delivery": str(delivery.id),
            "Credwatch-Signature": sign(hook.secret, body, int(time.time())),
        }
        if not hook.active:
            result = Attempt(False, None, "webhook disabled")
        else:
            result = post(hook.url, body, headers, allow_private_networks())
        delivery.response_status = result.status
        if result.delivered:
            delivery.state, delivery.delivered_at = "delivered", utcnow()
            delivery.next_attempt_at, delivery.last_error = None, None
        elif delivery.attempts >= MAX_ATTEMPTS or not hook.active or result.refused:
            delivery.state, delivery.next_attempt_at = "failed", None
            delivery.last_error = result.error
        else:
            delivery.state, delivery.last_error = "retry", result.error
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        session.commit()
        state, retry_at = delivery.state, delivery.next_attempt_at
    if state == "retry":
        _schedule_retry(delivery_id, retry_at)
    return state


def _due(now: datetime):
    return or_(
        (WebhookDelivery.state.in_(("pending", "retry")))
        & (or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now)),
        (WebhookDelivery.state == "sending") & (WebhookDelivery.next_attempt_at <= now),
    )


def _schedule_retry(delivery_id: int, when: datetime) -> None:
    from jobs.webhooks import deliver_webhook

    try:
        deliver_webhook.schedule(args=(delivery_id,), eta=when)
    except Exception:
        log.exception("could not schedule retry of webhook delivery %s", delivery_id)


def due_deliveries(now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or utcnow()
    return list(db.session.scalars(
        select(WebhookDelivery.id).where(_due(now)).order_by(WebhookDelivery.next_attempt_at).limit(limit)
    ))


def sweep(now: datetime | None = None) -> int:
    """Enqueue every delivery that is due (retries, or lost by a dead worker)."""
    ids = due_deliveries(now)
    _enqueue(ids)
    return len(ids)


def redeliver(delivery: WebhookDelivery, actor=None) -> None:
    """An admin asks for another try now (after fixing the receiver)."""
    before = {"state": delivery.state, "attempts": delivery.attempts}
    delivery.state, delivery.next_attempt_at = "pending", utcnow()
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.attempts = MAX_ATTEMPTS - 1
    audit.record("webhook_delivery.redelivered", delivery, before=before,
                 after={"state": "pending"}, actor=actor)
    db.session.info.setdefault(_PENDING_KEY, []).append(delivery.id)
    db.session.commit()


# --- managing webhooks ------------------------------------------------------

WEBHOOK_FIELDS = ("url", "events", "active")


def validate(url: str, events: Iterable[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("Enter a full http:// or https:// address.", "url")
    if parts.username or parts.password:
        raise Invalid("Leave credentials out of the address; deliveries are signed instead.", "url")
    if len(url) > 500:
        raise Invalid("The address is longer than 500 characters.", "url")
    if not allow_private_networks():
        try:
            _checked_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), False)
        except RefusedAddress as error:
            raise Invalid(f"{error}. Use the receiver's public address.", "url") from None
        except (OSError, ValueError, UnicodeError):
            pass  # not resolvable now: it may be later; every delivery checks again
    chosen = [e for e in EVENTS if e in set(events)]
    unknown = set(events) - set(EVENTS)
    if unknown:
        raise Invalid(f"Unknown events: {', '.join(sorted(unknown))}.", "events")
    if not chosen:
        raise Invalid("Choose at least one event.", "events")
    return url, chosen


def create_webhook(url: str, events: Iterable[str], actor=None) -> tuple[Webhook, str]:
    """Register a webhook; returns it and its signing secret (shown once)."""
    url, chosen = validate(url, list(events))
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook(url=url, events=chosen, secret=secret, active=True,
                   created_by_id=getattr(actor, "id", None))
    db.session.add(hook)
    db.session.flush()
    audit.record("webhook.created", hook, after=audit.snapshot(hook, WEBHOOK_FIELDS), actor=actor)
    db.session.commit()
    return hook, secret


def update_webhook(hook: Webhook, url: str, events: Iterable[str], active: bool, actor=None) -> Webhook:
    url, chosen = validate(url, list(events))
    before = audit.snapshot(hook, WEBHOOK_FIELDS)
    hook.url, hook.events, hook.active = url, chosen, active
    old, new = audit.changed(before, audit.snapshot(hook, WEBHOOK_FIELDS))
    if new:
        audit.record("webhook.updated", hook, before=old, after=new, actor=actor)
    db.session.commit()
    return hook


def rotate_secret(hook: Webhook, actor=None) -> str:
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook.secret = secret
    # The secret itself never goes into the audit trail.
    audit.record("webhook.secret_rotated", hook, actor=actor)
    db.session.commit()
    return secret


def send_test(hook: Webhook, actor=None) -> WebhookDelivery:
    """Queue a signed ``ping`` delivery so an admin can check the receiver."""
    delivery = WebhookDelivery(
        webhook_id=hook.id, event="ping", event_key=f"ping:{secrets.token_hex(8)}",
        payload={"message": "Test delivery from Credwatch", "webhook_id": hook.id},
        state="pending", next_attempt_at=utcnow(),
    )
    db.session.add(delivery)
    db.session.flush()
    audit.record("webhook.tested", hook, after={"delivery_id": delivery.id}, actor=actor)
    db.session.info.setdefault(_PENDING_KEY, []).append(delivery.id)
    db.session.commit()
    return delivery


# --- what the admin pages list ----------------------------------------------

def hooks() -> list[Webhook]:
    """Every webhook, newest first."""
    return db.session.scalars(select(Webhook).order_by(Webhook.created_at.desc())).all()


def delivery_stats(hook_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each webhook's number of deliveries per state."""
    stats: dict[int, dict[str, int]] = {i: {} for i in hook_ids}
    if hook_ids:
        for hook_id, state, count in db.session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.state, func.count())
            .where(WebhookDelivery.webhook_id.in_(hook_ids))
            .group_by(WebhookDelivery.webhook_id, WebhookDelivery.state)
        ):
            stats[hook_id][state] = count
    return stats


def delivery_log(hook: Webhook, state: str | None, page: int, per_page: int = 50) -> Page:
    """``hook``'s deliveries, newest first, in ``state`` when it is one of
    ``STATES``; a page past the end is empty."""
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
    if state in STATES:
        query = query.where(WebhookDelivery.state == state)
    return page_of(query.order_by(WebhookDelivery.id.desc()), page, per_page, clamp=False)
