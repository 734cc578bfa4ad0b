"""API.md "Safer writes": failed token authentications from one address are slowed, then
refused with 429 for a while; valid tokens from the same address keep working."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from config.security import caches_from_url
from tests.api.conftest import client_with

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
BURST, SUSTAINED = 3, 5


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "failed_token_burst": f"{BURST}/min",
            "failed_token_sustained": f"{SUSTAINED}/hour",
        },
    }


def get(api, address=ATTACKER, **headers):
    return api.get("/api/conversations/", REMOTE_ADDR=address, **headers)


def wrong(address=ATTACKER, scheme="Token", **headers):
    return get(client_with(f"{scheme} not-a-real-token-0123456789"), address, **headers)


def test_wrong_tokens_are_refused_with_429_after_the_burst(anonymous_api):
    statuses = [wrong().status_code for _ in range(BURST + 2)]

    assert statuses == [401] * BURST + [429, 429]
    refused = wrong()
    assert int(refused["Retry-After"]) > 0
    assert "throttled" in refused.json()["detail"].lower()


def test_valid_tokens_from_the_same_address_keep_working(teammate_api, customer_api):
    for _ in range(BURST + 1):
        wrong()
    assert wrong().status_code == 429

    assert get(teammate_api).status_code == 200
    assert get(customer_api).status_code == 200
    assert get(client_with(customer_api._credentials["HTTP_AUTHORIZATION"].replace(
        "Token", "Contact"))).status_code == 200  # fmt: skip


def test_other_addresses_are_not_refused():
    for _ in range(BURST + 1):
        wrong()

    assert wrong(address=ELSEWHERE).status_code == 401


def test_wrong_contact_tokens_and_malformed_headers_count_too():
    statuses = [
        wrong(scheme="Contact").status_code,
        get(client_with("Token a b c")).status_code,
        get(client_with("Token bad\x00token")).status_code,
        wrong().status_code,
    ]

    assert statuses == [401, 401, 401, 429]


def test_the_burst_refusal_lifts_after_a_minute_and_the_sustained_one_after_an_hour():
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        assert [wrong().status_code for _ in range(BURST + 1)] == [401] * BURST + [429]
    with time_machine.travel(now + timedelta(seconds=61), tick=False):
        remaining = SUSTAINED - BURST
        assert [wrong().status_code for _ in range(remaining + 1)] == [401] * remaining + [429]
    with time_machine.travel(now + timedelta(minutes=30), tick=False):
        assert wrong().status_code == 429
    with time_machine.travel(now + timedelta(hours=1, seconds=1), tick=False):
        assert wrong().status_code == 401


def test_behind_a_trusted_proxy_the_address_comes_from_its_header(settings, teammate_api):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    proxy = "10.0.0.1"
    for _ in range(BURST + 1):
        wrong(address=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)

    assert wrong(address=proxy, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert wrong(address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 401


def test_a_forged_forwarded_for_header_does_not_dodge_the_throttle():
    statuses = [wrong(HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(BURST + 1)]

    assert statuses[-1] == 429


# --- which cache counts the failures ------------------------------------------------------


def test_without_a_cache_url_each_process_counts_in_its_own_memory():
    assert caches_from_url("") == {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }


def test_a_redis_cache_url_shares_the_counts_between_workers_and_hosts():
    assert caches_from_url("redis://cache.internal:6379/2") == {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://cache.internal:6379/2",
        }
    }


def test_an_unknown_cache_url_fails_loudly():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        caches_from_url("memcached://cache:11211")
