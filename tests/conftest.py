import pytest

from config.celery import app as celery_app
from conversations import services
from conversations.actors import Actor
from tests.factories import AdminFactory, ContactFactory, TeamFactory, TeammateFactory


@pytest.fixture(autouse=True)
def celery_eager():
    """Unit tests run tasks inline; the integration tests turn this off for real workers."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def fresh_workflow_catalog():
    """Each test starts with no compiled workflows cached in this process."""
    from workflows import catalog

    catalog._cached = None
    catalog._pinned.clear()


@pytest.fixture(autouse=True)
def fresh_tag_ids():
    """Each test starts with no tag ids cached in this process (a tag cached by an earlier
    test is gone with its rollback; tests/conversations/test_tag_queries.py makes that
    case on purpose)."""
    from conversations import services

    services.tag_id_cache_clear()


@pytest.fixture(autouse=True)
def fresh_office_hours():
    """Each test starts with the office hours of an empty workspace (no stored row) cached,
    as a running process has them; saving office hours clears the cache."""
    from conversations import office_hours

    office_hours.prime_schedule_cache(office_hours.default_schedule())
    yield
    office_hours.clear_schedule_cache()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: the API's failed-token counts live there;
    and with no conversation marked as queued (conversations/dispatch.py)."""
    from django.core.cache import cache, caches

    cache.clear()
    caches["dispatch"].clear()


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="ada")


@pytest.fixture
def teammate(db):
    return TeammateFactory(username="ben", first_name="Ben")


@pytest.fixture
def outsider(db):
    return TeammateFactory(username="carl", first_name="Carl")


@pytest.fixture
def support_team(db, teammate):
    return TeamFactory(name="Support", members=[teammate])


@pytest.fixture
def contact(db):
    return ContactFactory(name="Maya Okafor")


@pytest.fixture
def as_teammate(teammate):
    return Actor.teammate(teammate)


@pytest.fixture
def conversation(contact):
    """An open conversation with the customer's first message, as the Messenger makes it."""
    return services.conversation_open(contact=contact, body="Hello, I need help")


def pytest_report_header(config):
    from django.conf import settings

    return (
        f"database: {settings.DATABASES['default']['ENGINE']}, "
        f"broker: {settings.CELERY_BROKER_URL.split('://')[0]}"
    )


@pytest.fixture(autouse=True)
def broker_reachable():
    """Each test starts with the broker taken as reachable (no back-off after a failure)."""
    from conversations import dispatch

    dispatch._broker_away_until = 0.0
