import pytest

from tests.integrations.receiver import start_receiver


@pytest.fixture(autouse=True)
def private_networks_allowed(app):
    """The local receiver listens on 127.0.0.1, which webhooks refuse by default."""
    app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = True


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()
