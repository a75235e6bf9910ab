"""The webhook admin pages: each webhook's deliveries counted by state, and its
delivery log, newest first, filtered by state, 50 a page, swapped by HTMX."""
from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import WebhookDelivery
from portal.services import webhooks

HX = {"HX-Request": "true"}
STATES = ["delivered"] * 51 + ["failed"] * 2 + ["retry"]  # ids in this order: the failed and retry ones newest


@pytest.fixture
def hook(app, org, receiver):
    hook, _ = webhooks.create_webhook(receiver.url, ["credential.confirmed"], actor=org.admin_user)
    db.session.add_all(WebhookDelivery(webhook_id=hook.id, event="credential.confirmed", event_key=f"k{i}",
                                       state=state, attempts=1) for i, state in enumerate(STATES))
    db.session.commit()
    return hook


def _listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="ps-3 small">(\d+)</td>', page)]


def test_the_webhooks_page_counts_each_ones_deliveries_by_state(hook, admin_client):
    page = admin_client.get("/admin/integrations/webhooks").get_data(as_text=True)
    assert "51 delivered" in page and "1 retrying" in page and "2 failed" in page


def test_the_delivery_log_lists_newest_first_50_a_page(hook, admin_client):
    ids = sorted((d.id for d in db.session.query(WebhookDelivery)), reverse=True)
    first = admin_client.get(f"/admin/integrations/webhooks/{hook.id}").get_data(as_text=True)
    second = admin_client.get(f"/admin/integrations/webhooks/{hook.id}?page=2").get_data(as_text=True)
    assert _listed(first) == ids[:50] and _listed(second) == ids[50:]
    assert "Delivery log <span class=\"text-secondary fw-normal\">(54)" in first and "Page 2 of 2" in second
    beyond = admin_client.get(f"/admin/integrations/webhooks/{hook.id}?page=3").get_data(as_text=True)
    assert _listed(beyond) == [] and "No deliveries yet" in beyond


def test_the_delivery_log_filters_by_state_and_ignores_an_unknown_one(hook, admin_client):
    failed = admin_client.get(f"/admin/integrations/webhooks/{hook.id}?state=failed").get_data(as_text=True)
    assert len(_listed(failed)) == 2 and "(2)" in failed
    unknown = admin_client.get(f"/admin/integrations/webhooks/{hook.id}?state=lost").get_data(as_text=True)
    assert len(_listed(unknown)) == 50 and "(54)" in unknown


def test_htmx_swaps_just_the_delivery_log(hook, admin_client):
    for query in ("", "?state=failed", "?page=2", "?state=pending"):
        response = admin_client.get(f"/admin/integrations/webhooks/{hook.id}{query}", headers=HX)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, query
        assert body.lstrip().startswith('<div id="delivery_log"') and "<html" not in body
    failed = admin_client.get(f"/admin/integrations/webhooks/{hook.id}?state=failed", headers=HX).get_data(as_text=True)
    assert "text-bg-danger" in failed and "Retry now" in failed and 'name="csrf_token"' in failed


def test_an_unknown_webhook_is_404(app, admin_client):
    assert admin_client.get("/admin/integrations/webhooks/99999").status_code == 404
