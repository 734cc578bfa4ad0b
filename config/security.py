"""Who is knocking, and what a locked-out visitor sees (README "Security").

`client_address` is the one answer to "which address is this request from" for both the
login lock-out (django-axes, through AXES_CLIENT_IP_CALLABLE) and the API's failed-token
throttle, so the two always agree.
"""

import ipaddress
import math

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LOCKED_OUT = (
    "Too many failed log-in attempts for this user name from your address. "
    "Try again in {minutes} minutes."
)


def client_address(request) -> str | None:
    """REMOTE_ADDR, unless CLIENT_IP_HEADER names the header a trusted reverse proxy sets
    (e.g. HTTP_X_FORWARDED_FOR). In X-Forwarded-For the proxy appends the address it saw,
    so the right-most entry is the one a client cannot forge; anything that is not an IP
    address falls back to REMOTE_ADDR."""
    meta = request.META
    header = settings.CLIENT_IP_HEADER
    if header and meta.get(header):
        candidate = meta[header].split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return meta.get("REMOTE_ADDR") or None


# Teammate user names are at most 150 characters; django-axes stores up to 255.
USERNAME_MAX_LENGTH = 150


def username_tried(request, credentials) -> str:
    """The user name a login attempt is counted under (AXES_USERNAME_CALLABLE): cut to the
    longest a teammate can have, so an over-long one is still counted, never a 500."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(username).replace("\x00", "")[:USERNAME_MAX_LENGTH]


def lockout_response(request, original_response=None, credentials=None):
    """The login form again, with the lock-out message, answered 429 (AXES_LOCKOUT_CALLABLE)
    for both the login page and the admin login."""
    # Imported here: settings import this module for `caches_from_url`, before apps load.
    from django.contrib.auth.forms import AuthenticationForm
    from django.shortcuts import render

    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username[:150]})
    context = {
        "form": form,
        "locked_out": LOCKED_OUT.format(minutes=minutes),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)


def caches_from_url(url: str) -> dict:
    """CACHES from CACHE_URL. The API's failed-token counts live in the default cache:
    without a URL that is each process's own memory (fine for one process; with several
    gunicorn workers or hosts each counts apart, so an attacker gets the limit once per
    process); `redis://host:6379/1` shares them."""
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, got {url!r}")
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


def check_shared_cache(app_configs=None, **kwargs):
    """`check --deploy`: without CACHE_URL each process counts failed tokens on its own, so
    an attacker gets the limit once per gunicorn worker and host."""
    from django.core.checks import Warning

    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or not backend.endswith("LocMemCache"):
        return []
    return [
        Warning(
            "CACHE_URL is not set: the API's failed-token throttle counts in each process apart.",
            hint="Set CACHE_URL=redis://host:6379/1 so every process shares the counts.",
            id="inbox.W001",
        )
    ]
