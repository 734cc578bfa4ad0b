"""Who calls the API: a teammate (DRF token or session) or a contact (messenger token)."""

from dataclasses import dataclass

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission

from conversations.models import Contact


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


class TokenOrMessengerAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`: a teammate's API token, else a contact's messenger
    token (`Authorization: Contact <key>` says so explicitly)."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(header) == 2 and header[0].lower() == "contact":
            return self.authenticate_contact(header[1])
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            if len(header) == 2 and header[0].lower() == "token":
                return self.authenticate_contact(header[1])
            raise

    def authenticate_contact(self, key):
        contact = Contact.objects.select_related("company").filter(messenger_token=key).first()
        if contact is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
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
