"""REST API for macros (API.md "Routing, macros, bulk actions, notifications")."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.api_input import StrictInputSerializer, StrictModelSerializer
from conversations import validation
from conversations.api_auth import IsTeammate
from workflows import macros, vocabulary
from workflows.models import Macro


class MacroSerializer(StrictModelSerializer):
    ignored_keys = ("id", "owner", "owner_name", "words", "created_at", "updated_at")

    steps = serializers.JSONField(help_text='Background steps and one {"type": "reply", "body"}.')
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    words = serializers.SerializerMethodField(help_text="What it will do, a sentence a step.")

    class Meta:
        model = Macro
        fields = ["id", "name", "shared", "steps", "owner", "owner_name", "words"]
        fields += ["created_at", "updated_at"]
        read_only_fields = ["owner", "created_at", "updated_at"]

    def get_words(self, macro) -> list[str]:
        return macros.preview(macro.steps)

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("Give the macro a name.")
        return value.strip()

    def validate_steps(self, value):
        return macros.checked_steps(value)


class ConversationIdsSerializer(StrictInputSerializer):
    conversations = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=validation.MAX_JSON_INT),
        allow_empty=False,
        max_length=macros.MAX_CONVERSATIONS,
    )


RESULTS = inline_serializer(
    "ConversationResults",
    {
        "results": serializers.ListField(
            child=inline_serializer(
                "ConversationResult",
                {
                    "conversation": serializers.IntegerField(),
                    "ok": serializers.BooleanField(),
                    "error": serializers.CharField(),
                },
            )
        )
    },
)


class MacroViewSet(viewsets.ModelViewSet):
    """Macros a teammate may run: shared ones and their own; the owner or an admin edits."""

    lookup_value_regex = r"\d+"
    serializer_class = MacroSerializer
    permission_classes = [IsTeammate]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's look at the view
            return Macro.objects.none()
        return macros.visible_macros(self.request.user)

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if self.action in ("update", "partial_update", "destroy") and not macros.may_edit(
            obj, request.user
        ):
            raise PermissionDenied(vocabulary.MACRO_NOT_YOURS)

    @extend_schema(request=ConversationIdsSerializer, responses={200: RESULTS})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Run the macro on each conversation, as the caller: a result per conversation."""
        macro = get_object_or_404(self.get_queryset(), pk=pk)
        data = ConversationIdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        results = macros.run(macro, data.validated_data["conversations"], request.user)
        return Response({"results": results}, status=status.HTTP_200_OK)
