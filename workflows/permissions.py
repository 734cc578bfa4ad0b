"""Who may do what on the builder pages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied


class TeammateRequiredMixin(LoginRequiredMixin):
    """Any logged-in teammate: the list, the outline, reports and test runs are readable."""


class AdminRequiredMixin(LoginRequiredMixin):
    """Workspace admins alone build, order, pause and delete workflows."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_workspace_admin:
            raise PermissionDenied("Only workspace admins edit workflows.")
        return super().dispatch(request, *args, **kwargs)
