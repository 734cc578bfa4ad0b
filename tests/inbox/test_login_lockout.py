"""Brute force on the login page and the admin login (django-axes): after
AXES_FAILURE_LIMIT wrong passwords for one user name from one address, that user name
from that address is locked out for AXES_COOLOFF_TIME, even with the right password."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "secret-pass-123"  # the factories' password
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every attempt hashes a password; the default hasher would take seconds per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client, username, password, address=ATTACKER, url=LOGIN, **headers):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail(client, username, times, address=ATTACKER, url=LOGIN, **headers):
    """Wrong passwords: the form again with its error, and the last one that reaches
    the limit locks out at once."""
    statuses = [
        log_in(client, username, "wrong", address, url, **headers).status_code for _ in range(times)
    ]
    limit = django_settings.AXES_FAILURE_LIMIT
    assert statuses == [200 if n < limit else 429 for n in range(1, times + 1)]


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def test_it_allows_a_few_mistakes(client, teammate):
    fail(client, "ben", django_settings.AXES_FAILURE_LIMIT - 1)

    response = log_in(client, "ben", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == str(teammate.pk)


def test_it_locks_the_user_name_out_from_that_address_even_with_the_right_password(
    client, teammate
):
    fail(client, "ben", django_settings.AXES_FAILURE_LIMIT)

    response = log_in(client, "ben", PASSWORD)

    assert response.status_code == 429
    assert signed_in_as(client) is None
    page = response.content.decode()
    assert "Too many failed log-in attempts" in page
    assert "15 minutes" in page
    assert 'name="password"' in page  # the login form, not a bare error page


def test_the_lockout_holds_only_for_that_user_name_from_that_address(client, teammate, outsider):
    fail(client, "ben", django_settings.AXES_FAILURE_LIMIT)

    from_elsewhere = log_in(client, "ben", PASSWORD, address=ELSEWHERE)
    assert from_elsewhere.status_code == 302
    client.logout()
    other_user = log_in(client, "carl", PASSWORD)
    assert other_user.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, teammate):
    fail(client, "ben", django_settings.AXES_FAILURE_LIMIT)

    with time_machine.travel(timezone.now() + django_settings.AXES_COOLOFF_TIME + timedelta(1)):
        response = log_in(client, "ben", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == str(teammate.pk)


def test_the_admin_login_is_protected_too(client, admin_user):
    fail(client, "ada", django_settings.AXES_FAILURE_LIMIT, url=ADMIN_LOGIN)

    response = log_in(client, "ada", PASSWORD, url=ADMIN_LOGIN)

    assert response.status_code == 429
    assert signed_in_as(client) is None
    assert "Too many failed log-in attempts" in response.content.decode()


def test_failures_on_the_admin_and_the_login_page_count_together(client, admin_user):
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        log_in(client, "ada", "wrong", url=ADMIN_LOGIN if n % 2 else LOGIN)

    assert log_in(client, "ada", PASSWORD).status_code == 429


def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(client, teammate):
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        log_in(client, "ben", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    response = log_in(client, "ben", PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.99")

    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_comes_from_its_header(client, teammate, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    proxy = "10.0.0.1"
    fail(client, "ben", django_settings.AXES_FAILURE_LIMIT, address=proxy,
         HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}")  # fmt: skip

    locked = log_in(client, "ben", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    other = log_in(client, "ben", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)

    assert (locked.status_code, other.status_code) == (429, 302)


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_an_over_long_user_name_is_a_failed_attempt_not_an_error(client, url):
    fail(client, "x" * 300, django_settings.AXES_FAILURE_LIMIT, url=url)


def test_a_nul_in_the_user_agent_is_a_failed_attempt_not_an_error(client):
    fail(client, "ada", 1, HTTP_USER_AGENT="probe\x00agent")
