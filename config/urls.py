from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from config import openapi  # noqa: F401  (registers the schema extensions)
from conversations import api as conversations_api
from conversations import api_audit, api_notifications, views_audit
from webhooks import api as webhooks_api
from workflows import api as workflows_api
from workflows import api_lint, api_macros


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico whatever the page links: send them to the SVG."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


router = DefaultRouter()
router.register("contacts", conversations_api.ContactViewSet, basename="contact")
router.register("teams", conversations_api.TeamViewSet, basename="team")
router.register("teammates", conversations_api.TeammateViewSet, basename="teammate")
router.register("sla-policies", conversations_api.SlaPolicyViewSet, basename="sla-policy")
router.register("conversations", conversations_api.ConversationViewSet, basename="conversation")
router.register("workflows", workflows_api.WorkflowViewSet, basename="workflow")
router.register("workflow-runs", workflows_api.WorkflowRunViewSet, basename="workflow-run")
router.register("audit", api_audit.AuditEntryViewSet, basename="audit-entry")
router.register("notifications", api_notifications.NotificationViewSet, basename="notification")
router.register("webhooks", webhooks_api.WebhookEndpointViewSet, basename="webhook")
router.register("secrets", workflows_api.SecretViewSet, basename="secret")
router.register("macros", api_macros.MacroViewSet, basename="macro")

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "api/conversations/<int:pk>/runs/",
        workflows_api.ConversationRunsView.as_view(),
        name="conversation-runs",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/workflows/lint/", api_lint.WorkflowLintView.as_view(), name="workflow-lint"),
    path("api/", include(router.urls)),
    path("api-auth/", include("rest_framework.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("workflows/", include("workflows.urls")),
    path("audit/", views_audit.AuditLogView.as_view(), name="audit"),
    path("webhooks/", include("webhooks.urls")),
    path("inbox/", include("inbox.urls")),
    path("messenger/", include("inbox.messenger_urls")),
    path("favicon.ico", FaviconView.as_view()),
    path("", RedirectView.as_view(url="/inbox/", permanent=False)),
]

handler404 = "config.openapi.api_not_found"
