import pytest

from portal.models import API_SCOPES
from portal.services import api_tokens


@pytest.fixture
def make_token(app, org):
    """make_token(*scopes) -> headers for a fresh token with those scopes."""

    def make(*scopes, name=None):
        token, secret = api_tokens.create_token(
            name or f"test-{'-'.join(scopes) or 'none'}-{len(scopes)}", scopes or API_SCOPES,
            actor=org.admin_user)
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def api_headers(make_token):
    return make_token(*API_SCOPES, name="all-scopes")
