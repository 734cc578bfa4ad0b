"""The audit log page (/audit/): workspace admins, filterable by object and person,
paginated, each entry's before and after as a field-by-field diff."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.views.generic import TemplateView

from conversations.api_audit import AuditEntryFilter
from conversations.audit import field_changes
from conversations.models import AuditEntry

ENTRIES_PER_PAGE = 25


class AuditLogView(LoginRequiredMixin, TemplateView):
    template_name = "audit/log.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_workspace_admin:
            raise PermissionDenied("Only workspace admins read the audit log.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        filterset = AuditEntryFilter(
            query or None,
            queryset=AuditEntry.objects.select_related("actor").order_by("-created_at", "-id"),
        )
        page = Paginator(filterset.qs, ENTRIES_PER_PAGE).get_page(self.request.GET.get("page"))
        entries = [(entry, field_changes(entry.before, entry.after)) for entry in page]
        return {
            **super().get_context_data(**kwargs),
            "filterset": filterset,
            "page": page,
            "entries": entries,
            "query": query.urlencode(),
        }
