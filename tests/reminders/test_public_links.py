"""Links in email: absolute, on PUBLIC_BASE_URL, and never a silent fallback."""
from __future__ import annotations

import pytest
from werkzeug.routing import BuildError

from portal.services import mailer


def test_links_are_absolute_on_the_public_base_url_with_its_path(app):
    app.config["PUBLIC_BASE_URL"] = "https://hr.example.org/credwatch"
    assert mailer.public_url("registry.person", person_id=7) == "https://hr.example.org/credwatch/people/7"
    assert mailer.public_url("me.upload", type=3) == "https://hr.example.org/credwatch/me/upload?type=3"


def test_an_endpoint_that_does_not_exist_is_an_error_not_a_link_home(app):
    app.config["PUBLIC_BASE_URL"] = "https://hr.example.org"
    with pytest.raises(BuildError):
        mailer.public_url("registry.no_such_page", person_id=7)
    with pytest.raises(BuildError):  # a value the endpoint needs is missing
        mailer.public_url("registry.person")
