"""Webhooks: emit is idempotent and waits for commit; deliveries are signed and retried."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import AuditEvent, WebhookDelivery, utcnow
from portal.services import webhooks


@pytest.fixture
def hook(app, org, receiver):
    hook, secret = webhooks.create_webhook(receiver.url, ["credential.confirmed"], actor=org.admin_user)
    return hook


def _deliveries():
    return db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


def test_emit_delivers_a_signed_request_after_commit(hook, receiver):
    webhooks.emit("credential.confirmed", "credential.confirmed:1", {"credential_id": 1})
    assert receiver.requests == []  # nothing leaves before the caller commits
    db.session.commit()

    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent.headers["Credwatch-Event"] == "credential.confirmed"
    header = sent.headers["Credwatch-Signature"]
    assert webhooks.verify_signature(hook.secret, header, sent.body)
    # The same check written out, as a receiver would.
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(hook.secret.encode(), f"{parts['t']}.".encode() + sent.body, hashlib.sha256).hexdigest()
    assert parts["v1"] == expected
    assert abs(int(parts["t"]) - time.time()) < 60
    body = json.loads(sent.body)
    assert body["event"] == "credential.confirmed" and body["data"] == {"credential_id": 1}
    assert sent.headers["Credwatch-Delivery"] == str(body["id"])
    delivery = _deliveries()[0]
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)


def test_signature_fails_for_a_changed_body_wrong_secret_or_old_timestamp(hook):
    body = b'{"a":1}'
    header = webhooks.sign(hook.secret, body, int(time.time()))
    assert webhooks.verify_signature(hook.secret, header, body)
    assert not webhooks.verify_signature(hook.secret, header, b'{"a":2}')
    assert not webhooks.verify_signature("whsec_other", header, body)
    old = webhooks.sign(hook.secret, body, int(time.time()) - 3600)
    assert not webhooks.verify_signature(hook.secret, old, body)
    assert not webhooks.verify_signature(hook.secret, "garbage", body)


def test_emit_twice_with_the_same_key_delivers_once(hook, receiver):
    webhooks.emit("credential.confirmed", "credential.confirmed:7", {"credential_id": 7})
    db.session.commit()
    again = webhooks.emit("credential.confirmed", "credential.confirmed:7", {"credential_id": 7})
    db.session.commit()
    assert again == []
    assert len(_deliveries()) == 1 and len(receiver.requests) == 1


def test_rolled_back_emit_sends_nothing(hook, receiver):
    webhooks.emit("credential.confirmed", "credential.confirmed:8", {"credential_id": 8})
    db.session.rollback()
    db.session.commit()
    assert _deliveries() == [] and receiver.requests == []


def test_unsubscribed_and_inactive_webhooks_get_nothing(app, org, receiver, hook):
    other, _ = webhooks.create_webhook(receiver.url, ["credential.expired"], actor=org.admin_user)
    webhooks.update_webhook(hook, hook.url, hook.events, active=False, actor=org.admin_user)
    assert webhooks.emit("credential.confirmed", "k1", {}) == []
    added = webhooks.emit("credential.expired", "k2", {"x": 1})
    db.session.commit()
    assert [d.webhook_id for d in added] == [other.id]


def test_unknown_event_is_refused(hook):
    with pytest.raises(ValueError):
        webhooks.emit("credential.exploded", "k", {})


def test_failed_delivery_backs_off_and_the_sweeper_retries_when_due(hook, receiver):
    receiver.statuses = [500, 503]
    webhooks.emit("credential.confirmed", "credential.confirmed:9", {"credential_id": 9})
    db.session.commit()
    delivery = _deliveries()[0]
    assert delivery.state == "retry" and delivery.attempts == 1
    assert "500" in delivery.last_error
    first_wait = delivery.next_attempt_at - utcnow()
    assert timedelta(seconds=20) < first_wait <= webhooks.BACKOFF_BASE

    # Not due yet: the sweeper leaves it alone.
    assert webhooks.sweep() == 0
    assert len(receiver.requests) == 1

    later = delivery.next_attempt_at + timedelta(seconds=1)
    assert webhooks.deliver(delivery.id, now=later) == "retry"
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert delivery.attempts == 2
    # The second wait is twice the first.
    assert delivery.next_attempt_at - later == webhooks.BACKOFF_BASE * 2

    assert webhooks.sweep() == 0
    # Time passes: the retry falls due and the sweeper's task sends it.
    delivery.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert webhooks.sweep() == 1
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert delivery.state == "delivered" and delivery.attempts == 3
    assert len(receiver.requests) == 3
    # Every retry carries the same delivery id, so receivers can deduplicate.
    assert len({r.headers["Credwatch-Delivery"] for r in receiver.requests}) == 1


def test_delivery_fails_for_good_after_max_attempts(hook, receiver):
    receiver.statuses = [500] * webhooks.MAX_ATTEMPTS
    webhooks.emit("credential.confirmed", "k-max", {})
    db.session.commit()
    delivery_id = _deliveries()[0].id
    when = utcnow()
    for _ in range(webhooks.MAX_ATTEMPTS - 1):
        when += webhooks.BACKOFF_CAP + timedelta(seconds=1)
        webhooks.deliver(delivery_id, now=when)
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert (delivery.state, delivery.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert webhooks.sweep(now=when + timedelta(days=1)) == 0


def test_redirects_are_not_followed(hook, receiver):
    receiver.statuses = [302]
    webhooks.emit("credential.confirmed", "k-redirect", {})
    db.session.commit()
    delivery = _deliveries()[0]
    assert delivery.state == "retry" and delivery.response_status == 302
    assert len(receiver.requests) == 1


def test_unreachable_receiver_is_a_retry_with_the_reason(app, org):
    hook, _ = webhooks.create_webhook("http://127.0.0.1:9/closed", ["credential.confirmed"], actor=org.admin_user)
    webhooks.emit("credential.confirmed", "k-closed", {})
    db.session.commit()
    delivery = _deliveries()[0]
    assert delivery.state == "retry" and delivery.response_status is None
    assert "refused" in delivery.last_error.lower() or "error" in delivery.last_error.lower()


def test_a_lost_send_is_picked_up_after_its_lease(hook, receiver):
    receiver.statuses = [500]
    webhooks.emit("credential.confirmed", "k-lost", {})
    db.session.commit()
    delivery = _deliveries()[0]
    # Simulate a worker that claimed the row and died.
    delivery.state, delivery.next_attempt_at = "sending", utcnow() + webhooks.SEND_LEASE
    db.session.commit()
    assert webhooks.sweep() == 0
    delivery.next_attempt_at = utcnow() - timedelta(seconds=1)  # the lease ran out
    db.session.commit()
    assert webhooks.sweep() == 1
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).state == "delivered"


def test_a_delivery_is_sent_once_when_claimed_twice(hook, receiver):
    receiver.statuses = [500]
    webhooks.emit("credential.confirmed", "k-twice", {})
    db.session.commit()
    delivery = _deliveries()[0]
    due = delivery.next_attempt_at + timedelta(seconds=1)
    assert webhooks.deliver(delivery.id, now=due) == "delivered"
    assert webhooks.deliver(delivery.id, now=due) is None
    assert len(receiver.requests) == 2


def test_webhook_changes_are_audited_without_the_secret(hook, org):
    webhooks.rotate_secret(hook, actor=org.admin_user)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "Webhook")).all()
    assert [e.action for e in events] == ["webhook.created", "webhook.secret_rotated"]
    assert all(hook.secret not in json.dumps([e.before, e.after]) for e in events)


@pytest.mark.parametrize("url,field", [
    ("ftp://example.com/x", "url"), ("not a url", "url"), ("https://u:p@example.com/", "url"),
])
def test_bad_webhook_urls_are_refused(app, org, url, field):
    with pytest.raises(Invalid) as error:
        webhooks.create_webhook(url, ["credential.confirmed"], actor=org.admin_user)
    assert error.value.field == field
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0


# --- private networks (SSRF) -------------------------------------------------

@pytest.mark.parametrize("url,reason", [
    ("http://127.0.0.1:8080/x", "loopback"),
    ("http://localhost/x", "loopback"),                       # a name: resolved, then checked
    ("http://[::1]/x", "loopback"),
    ("http://[::ffff:127.0.0.1]/x", "loopback"),              # IPv4 inside IPv6
    ("http://10.1.2.3/x", "private network"),
    ("https://192.168.0.10/x", "private network"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
    ("http://100.100.100.200/x", "not a public"),              # shared address space
    ("http://0.0.0.0:80/x", "not a public"),
])
def test_private_and_local_addresses_are_refused_when_saving(app, org, url, reason):
    app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = False
    with pytest.raises(Invalid) as error:
        webhooks.create_webhook(url, ["credential.confirmed"], actor=org.admin_user)
    assert error.value.field == "url" and reason in error.value.message


def test_public_and_unresolvable_hosts_may_be_saved(app, org):
    app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = False
    assert webhooks.refused_reason("93.184.215.14") is None
    assert webhooks.refused_reason("2606:4700::6810:84e5") is None
    # Not resolvable today (a ".invalid" name never is): saved, checked again at each delivery.
    hook, _ = webhooks.create_webhook("https://receiver.example.invalid/x", ["credential.confirmed"],
                                      actor=org.admin_user)
    assert hook.id


def test_the_admin_form_shows_the_refusal_next_to_the_url(app, admin_client):
    app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = False
    response = admin_client.post("/admin/integrations/webhooks", data={
        "url": "http://169.254.169.254/latest/meta-data/", "events": ["credential.confirmed"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "link-local address" in page and "is-invalid" in page
    assert db.session.scalar(select(func.count()).select_from(webhooks.Webhook)) == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_deliveries_check_the_address_again_when_connecting(app, org, receiver, host):
    # Saved while allowed (or while the name pointed elsewhere): the check at
    # delivery time is what protects, and it refuses without a retry.
    port = receiver.server.server_address[1]
    webhooks.create_webhook(f"http://{host}:{port}/hooks", ["credential.confirmed"], actor=org.admin_user)
    app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = False
    webhooks.emit("credential.confirmed", f"k-ssrf-{host}", {})
    db.session.commit()
    delivery = _deliveries()[0]
    assert receiver.requests == []
    assert delivery.state == "failed" and delivery.next_attempt_at is None
    assert delivery.last_error.startswith("refused:") and "loopback" in delivery.last_error


def test_https_connections_are_guarded_too(app):
    refused = webhooks.post("https://127.0.0.1:1/x", b"{}", {}, allow_private=False)
    assert refused.error.startswith("refused:") and "loopback" in refused.error
    allowed = webhooks.post("https://127.0.0.1:1/x", b"{}", {}, allow_private=True)
    assert not allowed.error.startswith("refused:")  # it got as far as connecting
