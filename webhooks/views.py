"""The webhooks page for admins: endpoints, their recent deliveries, test and redeliver."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from webhooks import services
from webhooks.forms import WebhookEndpointForm
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from workflows.permissions import AdminRequiredMixin
from workflows.vocabulary import (
    WEBHOOK_DELIVERY_STATUS_WORDS,
    webhook_disabled_words,
    webhook_event_label,
    webhook_events_words,
)

RECENT_DELIVERIES = 25
# The secret of an endpoint just created, shown on the next page once (then dropped).
SECRET_SESSION_KEY = "webhook_secret_once"


def endpoint_rows():
    return [
        {
            "endpoint": endpoint,
            "events_words": webhook_events_words(endpoint.events),
            "disabled_words": webhook_disabled_words(endpoint.disabled_reason),
        }
        for endpoint in WebhookEndpoint.objects.order_by("id")
    ]


class WebhookListView(AdminRequiredMixin, TemplateView):
    template_name = "webhooks/list.html"

    def get_context_data(self, **kwargs):
        return {
            "rows": endpoint_rows(),
            "form": kwargs.get("form") or WebhookEndpointForm(initial={"active": True}),
        }

    def post(self, request):
        form = WebhookEndpointForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        endpoint = services.endpoint_create(**form.cleaned_data, actor=request.user)
        request.session[SECRET_SESSION_KEY] = {"id": endpoint.pk, "secret": endpoint.secret}
        return redirect("webhooks:detail", pk=endpoint.pk)


def delivery_rows(endpoint):
    deliveries = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("id")))
        .order_by("-id")[:RECENT_DELIVERIES]
    )
    rows = []
    for delivery in deliveries:
        attempts = list(delivery.attempts.all())
        rows.append(
            {
                "delivery": delivery,
                "type_words": webhook_event_label(delivery.event_type),
                "status_words": WEBHOOK_DELIVERY_STATUS_WORDS.get(delivery.status),
                "last": attempts[-1] if attempts else None,
                "attempts": len(attempts),
            }
        )
    return rows


class WebhookDetailView(AdminRequiredMixin, TemplateView):
    template_name = "webhooks/detail.html"

    def get_context_data(self, **kwargs):
        endpoint = kwargs.get("endpoint") or get_object_or_404(WebhookEndpoint, pk=kwargs["pk"])
        shown = self.request.session.pop(SECRET_SESSION_KEY, None)
        secret = shown["secret"] if shown and shown.get("id") == endpoint.pk else None
        form = kwargs.get("form") or WebhookEndpointForm(
            initial={"url": endpoint.url, "events": endpoint.events, "active": endpoint.active}
        )
        return {
            "endpoint": endpoint,
            "secret_once": secret,
            "disabled_words": webhook_disabled_words(endpoint.disabled_reason),
            "form": form,
            "deliveries": delivery_rows(endpoint),
        }

    def post(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        form = WebhookEndpointForm(request.POST)
        if not form.is_valid():
            context = self.get_context_data(pk=pk, endpoint=endpoint, form=form)
            return self.render_to_response(context, status=400)
        services.endpoint_update(endpoint, actor=request.user, **form.cleaned_data)
        messages.success(request, "Webhook saved.")
        return redirect("webhooks:detail", pk=pk)


class WebhookTestView(AdminRequiredMixin, View):
    def post(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        services.send_test_event(endpoint)
        messages.success(request, "Test event sent: its delivery is listed below.")
        return redirect("webhooks:detail", pk=pk)


class WebhookRedeliverView(AdminRequiredMixin, View):
    def post(self, request, pk, delivery_id):
        delivery = get_object_or_404(WebhookDelivery, endpoint_id=pk, delivery_id=delivery_id)
        services.redeliver(delivery)
        messages.success(request, "Sent again: the new attempt is listed below.")
        return redirect("webhooks:detail", pk=pk)


class WebhookDeleteView(AdminRequiredMixin, View):
    def post(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        services.endpoint_delete(endpoint, actor=request.user)
        messages.success(request, "Webhook deleted.")
        return redirect("webhooks:list")
