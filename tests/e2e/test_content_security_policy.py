"""Every page each role reaches works under the portal's Content-Security-Policy.

For each role, Chromium signs in and walks the portal the way a person would:
the landing page, every menu entry, and the pages those link to (one page per
route shape, so /people/1 and /people/2 count once). On each page it listens
for ``securitypolicyviolation`` events (the page and its frames) and CSP
console errors, and reads the policy the server sent: no 'unsafe-inline'
anywhere, and no <base> may re-point relative URLs.
"""
from __future__ import annotations

import io
import re
from collections import deque
from datetime import date
from urllib.parse import urldefrag, urlsplit

import pytest

from portal.demo.documents import Certificate, certificate_pdf
from portal.extensions import db
from portal.services import documents, reminders
from tests.support import factories

# Set before any page script runs, in every frame: violations are kept, not just logged.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                              " (" + (e.sourceFile || location.pathname) + ":" + e.lineNumber + ")");
});
"""
# Links that are not pages to look at: downloads, the JSON API, signing out.
NOT_A_PAGE = re.compile(r"^/(api/(?!v1/docs$)|logout|static/)|\.(csv|xlsx|eml|ics|json|pdf|png)$|/(file|download|export|eml|html)(/|$)")
PAGES_PER_ROLE = 45
ROLES = ["employee", "manager", "reviewer", "compliance", "admin"]


def _route_shape(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/N", path)


@pytest.fixture
def lived_in(app, org):
    """The small organisation with a record, a document read by the pipeline, and sent reminders."""
    factories.credential(org.employee, org.bls, expires_on=date(2026, 6, 30), issued_on=date(2024, 6, 30))
    factories.credential(org.manager, org.bls, expires_on=date(2027, 3, 31), issued_on=date(2025, 3, 31))
    db.session.commit()
    reminders.run_daily(date(2026, 5, 31))
    card = Certificate("American Heart Association", "BLS Provider", org.employee.full_name, "2B7Q-44KD-91XZ",
                       date(2026, 5, 2), date(2028, 5, 31), number_label="eCard Code:")
    documents.upload(io.BytesIO(certificate_pdf(card)), "bls-renewal.pdf", org.employee, org.employee_user)
    return org


def _walk(page, live_server):
    """Visit the landing page and what it links to, breadth first; yield (path, policy, violations)."""
    start = urlsplit(page.url).path
    queue, seen = deque([start]), {_route_shape(start)}
    console: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and "Content Security Policy" in msg.text
            and console.append(msg.text))
    while queue and len(seen) <= PAGES_PER_ROLE:
        path = queue.popleft()
        response = page.goto(live_server.url(path))
        assert response.ok, f"{path} answered {response.status}"
        page.wait_for_load_state("load")
        violations = [v for frame in page.frames for v in (frame.evaluate("window.__cspViolations || []"))]
        yield path, response.headers.get("content-security-policy", ""), violations + console
        console.clear()
        hrefs = page.eval_on_selector_all(
            "a[href]:not([download]):not([target=_blank])", "links => links.map(a => a.href)")
        for href in hrefs:
            parts = urlsplit(urldefrag(href)[0])
            if parts.netloc != urlsplit(live_server.base_url).netloc or NOT_A_PAGE.search(parts.path):
                continue
            shape = _route_shape(parts.path)
            if shape not in seen:
                seen.add(shape)
                queue.append(parts.path)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_keeps_to_the_policy(live_server, context, sign_in, lived_in, role):
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    sign_in(page, getattr(lived_in, f"{role}_user"))

    visited, problems = [], {}
    for path, policy, violations in _walk(page, live_server):
        visited.append(path)
        found = _policy_problems(policy) + violations
        if found:
            problems[path] = found
    assert len(visited) > 3, visited  # the walk really went through the menu
    assert not problems, "\n".join(f"{path}: {found}" for path, found in problems.items())


def _policy_problems(policy: str) -> list[str]:
    directives = dict((d.split(" ", 1) + [""])[:2] for d in (p.strip() for p in policy.split(";")) if d)
    found = []
    if "'unsafe-inline'" in policy:
        found.append(f"'unsafe-inline' in {policy}")
    if directives.get("style-src", "").split() != ["'self'"]:
        found.append(f"style-src is {directives.get('style-src')!r}, not 'self'")
    if directives.get("base-uri") != "'none'":
        found.append(f"base-uri is {directives.get('base-uri')!r}, not 'none'")
    return found
