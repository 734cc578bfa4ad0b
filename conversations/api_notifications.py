"""`GET /api/notifications/` and `POST /api/notifications/read/` (API.md "Routing, macros,
bulk actions, notifications"): the caller's own notifications only, 50 a page."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api_input import StrictInputSerializer
from conversations import notifications
from conversations.api_auth import IsTeammate
from conversations.models import Notification

# One request marks at most this many (the bell's page shows far fewer).
READ_IDS_LIMIT = 500


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "conversation", "created_at", "read"]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class MarkReadSerializer(StrictInputSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=READ_IDS_LIMIT,
    )


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")
    unread = serializers.IntegerField(help_text="The caller's unread notifications left.")


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    permission_classes = [IsTeammate]

    def get_queryset(self):
        return notifications.for_teammate(self.request.user)

    @extend_schema(request=MarkReadSerializer, responses={200: MarkedReadSerializer})
    @action(detail=False, methods=["post"])
    def read(self, request):
        """Mark these of the caller's notifications read; others' ids are ignored."""
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = notifications.mark_read(request.user, data.validated_data["ids"])
        return Response({"marked": marked, "unread": notifications.unread_count(request.user)})
