"""Who calls the API: a teammate (DRF token or session) or a contact (messenger token).

Failed token authentications are counted per client address (DRF's throttle machinery on
Django's default cache); past the limits they answer 429 instead of 401, while valid
tokens from the same address are never counted nor refused.
"""

import re
from dataclasses import dataclass

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from config.security import client_address
from conversations.models import Contact

# Teammates' DRF keys (40 hex digits) and messenger tokens (URL-safe base64) fit this;
# anything else is refused before it reaches the database (NUL bytes, megabytes).
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
INVALID_TOKEN = "Invalid token."


def contact_by_token(token: str | None) -> Contact | None:
    """The contact whose messenger token this is (the API and the Messenger's link)."""
    if not token or not TOKEN_PATTERN.fullmatch(token):
        return None
    return Contact.objects.select_related("company").filter(messenger_token=token).first()


@dataclass
class MessengerContact:
    """The authenticated principal of a Messenger call: one contact, its own data only."""

    contact: Contact
    is_authenticated: bool = True
    is_active: bool = True
    is_workspace_admin: bool = False
    is_staff: bool = False
    pk: None = None

    @property
    def username(self) -> str:
        return f"contact:{self.contact.pk}"


class FailedTokenThrottle(SimpleRateThrottle):
    """Counts failed token authentications per client address. Two of them: a burst
    limit slows a guesser down (refused until the minute has passed), a sustained limit
    then refuses it for the hour. Rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""

    def get_rate(self):
        # Read at call time (DRF binds THROTTLE_RATES at import), so settings can change.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class FailedTokenBurstThrottle(FailedTokenThrottle):
    scope = "failed_token_burst"


class FailedTokenSustainedThrottle(FailedTokenThrottle):
    scope = "failed_token_sustained"


FAILED_TOKEN_THROTTLES = [FailedTokenBurstThrottle, FailedTokenSustainedThrottle]


def count_failed_token(request) -> None:
    """Record one failed attempt from the request's address; raise 429 when it is over a
    limit (the attempt was already refused: this only changes how)."""
    for throttle_class in FAILED_TOKEN_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            raise exceptions.Throttled(wait=throttle.wait())


class TokenOrMessengerAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`: a teammate's API token, else a contact's messenger
    token (`Authorization: Contact <key>` says so explicitly). Only failures are counted
    and throttled, so a guesser cannot lock out the valid tokens of its address."""

    def authenticate(self, request):
        try:
            return self.authenticate_either(request)
        except exceptions.AuthenticationFailed:
            count_failed_token(request)
            raise

    def authenticate_either(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(header) == 2 and header[0].lower() == "contact":
            return self.authenticate_contact(header[1])
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            if len(header) == 2 and header[0].lower() == "token":
                return self.authenticate_contact(header[1])
            raise

    def authenticate_credentials(self, key):
        if not TOKEN_PATTERN.fullmatch(key):
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        return super().authenticate_credentials(key)

    def authenticate_contact(self, key):
        contact = contact_by_token(key)
        if contact is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        return MessengerContact(contact), key


def is_contact(request) -> bool:
    return isinstance(request.user, MessengerContact)


class IsTeammate(BasePermission):
    """Logged-in, active teammates (the default for every endpoint)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and not is_contact(request) and user.is_active)


class IsTeammateReadOrAdminWrite(IsTeammate):
    """Teammates read; workspace admins alone write (workflows, teams, SLA policies)."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or request.user.is_workspace_admin


class IsWorkspaceAdmin(IsTeammate):
    """Workspace admins only (rotating a contact's messenger token)."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_workspace_admin


class IsTeammateOrContact(BasePermission):
    """Conversations: teammates, and contacts for their own (the view scopes the queryset)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
