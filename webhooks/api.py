"""REST API for webhook endpoints and their deliveries (API.md, "Webhooks"). Admins only."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api_input import StrictInputSerializer
from config.outbound import OutboundRefused, validate_destination
from conversations.api_auth import IsWorkspaceAdmin
from webhooks import events as core
from webhooks import services
from webhooks.models import SECRET_MAX_LENGTH, WebhookDelivery, WebhookEndpoint
from workflows.vocabulary import webhook_disabled_words

SECRET_MIN_LENGTH = 16
URL_MAX_LENGTH = WebhookEndpoint._meta.get_field("url").max_length


def url_problem(url: str) -> str | None:
    """Why a destination is refused (not http(s), private without being allowed, ...)."""
    try:
        validate_destination(url)
    except OutboundRefused as refused:
        return str(refused)
    return None


class WebhookEndpointSerializer(StrictInputSerializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField(max_length=URL_MAX_LENGTH)
    events = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=len(core.EVENT_TYPES) + 1
    )
    active = serializers.BooleanField(required=False)
    secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=SECRET_MIN_LENGTH,
        max_length=SECRET_MAX_LENGTH,
        help_text="Generated when not given; returned once, in the answer to the creation.",
    )
    failing_since = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Since when every attempt failed."
    )
    disabled_reason = serializers.CharField(
        read_only=True, allow_null=True, help_text="Why it was switched off, if it was."
    )
    created_at = serializers.DateTimeField(read_only=True)

    def validate_url(self, url):
        problem = url_problem(url)
        if problem:
            raise serializers.ValidationError(problem)
        return url

    def validate_events(self, events):
        problem = core.events_problem(events)
        if problem:
            raise serializers.ValidationError(problem)
        return list(dict.fromkeys(events))

    def to_representation(self, endpoint):
        return endpoint_fields(endpoint)


def endpoint_fields(endpoint: WebhookEndpoint) -> dict:
    """What the API shows of an endpoint: never its secret."""
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.active,
        "failing_since": serializers.DateTimeField().to_representation(endpoint.failing_since)
        if endpoint.failing_since
        else None,
        "disabled_reason": webhook_disabled_words(endpoint.disabled_reason) or None,
        "created_at": serializers.DateTimeField().to_representation(endpoint.created_at),
    }


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown this once.")


class WebhookAttemptSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField()
    answer_start = serializers.CharField()


class WebhookDeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="delivery_id")
    type = serializers.CharField(source="event_type")
    status = serializers.CharField()
    conversation = serializers.IntegerField(source="conversation_id", allow_null=True)
    created_at = serializers.DateTimeField()
    attempts = WebhookAttemptSerializer(many=True)


class WebhookEndpointViewSet(viewsets.ModelViewSet):
    lookup_value_regex = r"\d+"
    queryset = WebhookEndpoint.objects.order_by("id")
    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsWorkspaceAdmin]
    filter_backends = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(**serializer.validated_data, actor=request.user)
        # The secret is shown this once.
        return Response(
            {**endpoint_fields(endpoint), "secret": endpoint.secret},
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        serializer = self.get_serializer(endpoint, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(
            endpoint, actor=request.user, **serializer.validated_data
        )
        return Response(endpoint_fields(endpoint))

    def perform_destroy(self, endpoint):
        services.endpoint_delete(endpoint, actor=self.request.user)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer)
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        deliveries = (
            WebhookDelivery.objects.filter(endpoint=endpoint)
            .prefetch_related("attempts")
            .order_by("-id")
        )
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9a-fA-F-]{36})/redeliver",
        serializer_class=WebhookDeliverySerializer,
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        endpoint = self.get_object()
        delivery = get_object_or_404(WebhookDelivery, endpoint=endpoint, delivery_id=delivery_id)
        services.redeliver(delivery)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], serializer_class=WebhookDeliverySerializer)
    def test(self, request, pk=None):
        """Send a `webhook.test` event to this endpoint now."""
        delivery = services.send_test_event(self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
