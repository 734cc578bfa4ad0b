import pytest

from tests.api.conftest import admin_api, anonymous_api, teammate_api  # noqa: F401 (fixtures)
from tests.webhooks.receiver import start_receiver


@pytest.fixture
def receiver(settings):
    """A real HTTP receiver on 127.0.0.1, which webhooks may call in these tests."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()
