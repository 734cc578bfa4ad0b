"""REST API for contacts, teams, teammates, SLA policies and conversations (API.md).

Views parse, authorise, call one service and render; every conversation change goes
through `conversations.services`, so workflows trigger exactly as from the pages.
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.api_input import (
    StrictBooleanFilter,
    StrictFilterSet,
    StrictInputSerializer,
    StrictModelSerializer,
)
from conversations import bulk, routing, services, sla, validation
from conversations.actors import Actor
from conversations.api_auth import (
    IsTeammate,
    IsTeammateOrContact,
    IsTeammateReadOrAdminWrite,
    IsWorkspaceAdmin,
    is_contact,
)
from conversations.audit import AuditedViewSetMixin
from conversations.durations import duration_pattern, format_duration, parse_duration
from conversations.models import (
    ActorType,
    Contact,
    Conversation,
    Event,
    Part,
    PartType,
    SlaPolicy,
    Team,
    Teammate,
)
from conversations.routing import MAX_CAPACITY

# What a contact sees of its own timeline: the messages, not notes or internal changes.
CONTACT_VISIBLE_PARTS = [PartType.CUSTOMER_MESSAGE, PartType.TEAMMATE_REPLY, PartType.BOT_MESSAGE]

# How a workflow's messages are signed for the customer (as in the Messenger).
BOT_NAME = "Bot"

# Refusals of API.md "Safer writes" (tests import them).
TEAMMATES_ONLY = "Teammates only."
ACTING_FOR_ANOTHER_TEAMMATE = (
    "Only workspace admins may act for another teammate: admin_id must be your own id."
)
WRITING_AS_THE_CUSTOMER = (
    "Only workspace admins and the contact itself may write as the customer (type: user)."
)
# Ids are bigints: anything outside is no teammate (and never reaches the database).
MAX_ID = validation.MAX_JSON_INT


@extend_schema_field({"type": "string", "example": "30m", "pattern": duration_pattern()})
class DurationStringField(serializers.Field):
    """A duration as API.md writes it: "45s", "30m", "2h", "1d"."""

    def to_representation(self, value):
        return format_duration(value)

    def to_internal_value(self, data):
        try:
            value = parse_duration(data)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        if value.total_seconds() <= 0:
            raise serializers.ValidationError(validation.SLA_TARGET_NOT_POSITIVE)
        return value


# --- contacts ----------------------------------------------------------------------------


@extend_schema_field(
    {
        "anyOf": [
            {"type": "number", "minimum": 0, "maximum": 9999999999.99},
            # "" is no value, as null.
            {"type": "string", "pattern": r"^(?:[0-9]{1,10}(?:\.[0-9]{1,2})?)?$"},
        ],
        "nullable": True,
    }
)
class MoneyField(serializers.DecimalField):
    """An amount of at most 12 digits, 2 after the point: a JSON number or a string
    (answers give the string)."""


class ContactSerializer(StrictModelSerializer):
    company = serializers.CharField(
        source="company.name", required=False, allow_null=True, allow_blank=True, max_length=200
    )
    monthly_spend = MoneyField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    custom_attributes = serializers.DictField(required=False)

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "email",
            "role",
            "plan",
            "monthly_spend",
            "company",
            "custom_attributes",
            "external_id",
            "created_at",
            "last_seen_at",
        ]
        read_only_fields = ["created_at", "last_seen_at"]

    def create(self, validated_data):
        company = (validated_data.pop("company", None) or {}).get("name")
        return services.contact_create(company_name=company, **validated_data)


class ContactCreatedSerializer(ContactSerializer):
    """The answer to creating a contact: the one read that carries its messenger token."""

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "messenger_token"]
        read_only_fields = [*ContactSerializer.Meta.read_only_fields, "messenger_token"]


class MessengerTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "messenger_token"]
        read_only_fields = fields


class ContactFilter(StrictFilterSet):
    # As long as the columns: a longer value matches nothing, and is refused (400).
    email = filters.CharFilter(field_name="email", lookup_expr="iexact", max_length=254)
    plan = filters.CharFilter(field_name="plan", lookup_expr="iexact", max_length=100)

    class Meta:
        model = Contact
        fields = ["email", "plan"]


class ContactViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = r"\d+"  # ids only: anything else is a 404, not a 500
    queryset = Contact.objects.select_related("company").order_by("id")
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    permission_classes = [IsTeammate]

    def get_serializer_class(self):
        # Tokens are credentials: shown when the contact is created, never in reads.
        return ContactCreatedSerializer if self.action == "create" else ContactSerializer

    @extend_schema(request=None, responses={200: MessengerTokenSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="messenger-token",
        permission_classes=[IsWorkspaceAdmin],
        filterset_class=None,
    )
    def messenger_token(self, request, pk=None):
        """Issue the contact a new messenger token; the old one stops working at once."""
        contact = services.contact_messenger_token_rotate(contact=self.get_object())
        return Response(MessengerTokenSerializer(contact).data)


# --- teams, teammates, SLA policies --------------------------------------------------------


class TeammateSerializer(serializers.ModelSerializer):
    is_admin = serializers.BooleanField(source="is_workspace_admin", read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Teammate
        fields = ["id", "username", "name", "email", "is_admin", "is_away", "capacity"]


class TeammateSettingsSerializer(StrictInputSerializer):
    """PATCH /api/teammates/{id}/: away (anyone for themselves), capacity (admins)."""

    away = serializers.BooleanField(required=False)
    capacity = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_CAPACITY,
        error_messages={
            "min_value": validation.CAPACITY_OUT_OF_RANGE,
            "max_value": validation.CAPACITY_OUT_OF_RANGE,
        },
    )


class TeammateViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"  # ids only: anything else is a 404, not a 500
    queryset = Teammate.objects.filter(is_active=True).order_by("username")
    serializer_class = TeammateSerializer
    permission_classes = [IsTeammate]
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(request=TeammateSettingsSerializer, responses={200: TeammateSerializer})
    def partial_update(self, request, *args, **kwargs):
        teammate = self.get_object()
        data = TeammateSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = data.validated_data
        is_admin = request.user.is_workspace_admin
        if not is_admin and (teammate.pk != request.user.pk or "capacity" in settings):
            raise PermissionDenied(validation.TEAMMATE_SETTINGS_OWN_AWAY_ONLY)
        changes = {}
        if "away" in settings:
            changes["away"] = settings["away"]
        if "capacity" in settings:
            changes["capacity"] = settings["capacity"]
        services.teammate_update_settings(teammate=teammate, **changes)
        return Response(TeammateSerializer(teammate).data)


class TeamSerializer(StrictModelSerializer):
    members = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Teammate.objects.filter(is_active=True), required=False
    )

    class Meta:
        model = Team
        fields = ["id", "name", "members", "away_policy", "created_at"]
        read_only_fields = ["created_at"]


class TeamViewSet(AuditedViewSetMixin, viewsets.ModelViewSet):
    lookup_value_regex = r"\d+"  # ids only: anything else is a 404, not a 500
    queryset = Team.objects.prefetch_related("members").order_by("name")
    serializer_class = TeamSerializer
    permission_classes = [IsTeammateReadOrAdminWrite]


class SlaPolicySerializer(StrictModelSerializer):
    first_reply = DurationStringField(required=False, allow_null=True)
    next_reply = DurationStringField(required=False, allow_null=True)
    time_to_close = DurationStringField(required=False, allow_null=True)

    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "first_reply", "next_reply", "time_to_close", "office_hours_only"]

    def validate(self, attrs):
        targets = {
            key: attrs.get(key, getattr(self.instance, key, None))
            for key in ("first_reply", "next_reply", "time_to_close")
        }
        if all(value is None for value in targets.values()):
            raise serializers.ValidationError({"first_reply": [validation.SLA_NO_TARGET]})
        return attrs


class SlaPolicyViewSet(AuditedViewSetMixin, viewsets.ModelViewSet):
    lookup_value_regex = r"\d+"  # ids only: anything else is a 404, not a 500
    queryset = SlaPolicy.objects.order_by("name")
    serializer_class = SlaPolicySerializer
    permission_classes = [IsTeammateReadOrAdminWrite]


# --- conversations -----------------------------------------------------------------------


class SlaSummarySerializer(serializers.Serializer):
    name = serializers.CharField(source="sla_policy.name")
    applied_at = serializers.DateTimeField(source="sla_applied_at")
    first_reply_due_at = serializers.DateTimeField(allow_null=True)
    next_reply_due_at = serializers.DateTimeField(allow_null=True)
    close_due_at = serializers.DateTimeField(allow_null=True)
    next_target = serializers.SerializerMethodField()
    seconds_left = serializers.SerializerMethodField()
    missed = serializers.SerializerMethodField()

    def _running(self, conversation):
        return sla.open_targets(conversation)

    def get_next_target(self, conversation) -> str | None:
        running = self._running(conversation)
        return running[0][0] if running else None

    def get_seconds_left(self, conversation) -> int | None:
        """Until the nearest running target; negative once it is missed."""
        running = self._running(conversation)
        return int((running[0][1] - timezone.now()).total_seconds()) if running else None

    def get_missed(self, conversation) -> list[str]:
        now = timezone.now()
        return [target for target, due_at in self._running(conversation) if due_at <= now]


class ConversationSerializer(serializers.ModelSerializer):
    tags = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()
    pending_events = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "contact",
            "title",
            "channel",
            "state",
            "snoozed_until",
            "assignee",
            "team",
            "assignment_queued",
            "tags",
            "priority",
            "in_bot_inbox",
            "sla",
            "custom_attributes",
            "waiting_since",
            "created_at",
            "updated_at",
            "pending_events",
        ]

    def get_tags(self, conversation) -> list[str]:
        return sorted(tag.name for tag in conversation.tags.all())

    @extend_schema_field(SlaSummarySerializer(allow_null=True))
    def get_sla(self, conversation):
        if conversation.sla_policy_id is None:
            return None
        return SlaSummarySerializer(conversation).data

    def get_pending_events(self, conversation) -> int:
        pending = getattr(conversation, "pending_event_count", None)
        if pending is None:
            pending = conversation.events.filter(processed_at__isnull=True).count()
        return pending


def pending_event_count():
    """Unprocessed events per conversation, as one subquery column (no N+1)."""
    pending = (
        Event.objects.filter(conversation=OuterRef("pk"), processed_at__isnull=True)
        .order_by()
        .values("conversation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(pending, output_field=IntegerField()), 0)


class PartSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Part
        fields = ["id", "part_type", "author_type", "author", "body", "created_at", "details"]

    @extend_schema_field(
        inline_serializer(
            "PartAuthor",
            {"id": serializers.IntegerField(allow_null=True), "name": serializers.CharField()},
        )
    )
    def get_author(self, part):
        return {"id": part.author_id, "name": part.author_name}


# --- what a contact's own token sees (API.md "Safer writes") ---------------------------------


class ContactConversationSerializer(serializers.ModelSerializer):
    """A conversation as its contact sees it: no tags, data, assignee, team or SLA."""

    class Meta:
        model = Conversation
        fields = ["id", "state", "created_at", "updated_at"]
        read_only_fields = fields


class ContactPartSerializer(serializers.ModelSerializer):
    """A message as the contact sees it: who wrote it (a workflow is "Bot", its name stays
    internal), the text, and a bot message's buttons."""

    author = serializers.SerializerMethodField()
    buttons = serializers.SerializerMethodField()

    class Meta:
        model = Part
        fields = ["id", "part_type", "author_type", "author", "body", "created_at", "buttons"]
        read_only_fields = fields

    @extend_schema_field(inline_serializer("ContactPartAuthor", {"name": serializers.CharField()}))
    def get_author(self, part):
        if part.author_type == ActorType.WORKFLOW:
            return {"name": BOT_NAME}
        return {"name": part.author_name}

    def get_buttons(self, part) -> list[str]:
        details = part.details if isinstance(part.details, dict) else {}
        labels = details.get("buttons") if part.part_type == PartType.BOT_MESSAGE else None
        return [label for label in labels if isinstance(label, str)] if labels else []


class ConversationCreateSerializer(StrictInputSerializer):
    # A conversation read from the API may be posted as a new one (API.md, round trip).
    ignored_keys = tuple(ConversationSerializer.Meta.fields)

    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, help_text="Omit in the Messenger."
    )
    body = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="The first message."
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ReplySerializer(StrictInputSerializer):
    type = serializers.ChoiceField(choices=["user", "admin"])
    message_type = serializers.ChoiceField(choices=["comment", "note"], default="comment")
    body = serializers.CharField(trim_whitespace=False, allow_blank=True)
    admin_id = serializers.IntegerField(required=False)

    def validate(self, attrs):
        if attrs["type"] == "user" and attrs["message_type"] == "note":
            raise serializers.ValidationError({"message_type": ["A customer cannot add a note."]})
        return attrs


class PartActionSerializer(StrictInputSerializer):
    message_type = serializers.ChoiceField(choices=["close", "open", "snoozed", "assignment"])
    admin_id = serializers.IntegerField(required=False)
    snoozed_until = serializers.DateTimeField(required=False)
    assignee_id = serializers.IntegerField(required=False, allow_null=True)
    team_id = serializers.IntegerField(required=False, allow_null=True)
    # With team_id and no assignee_id: give it to a member of the team by this method.
    method = serializers.ChoiceField(choices=list(routing.METHODS), required=False)

    def validate(self, attrs):
        if attrs["message_type"] == "snoozed" and "snoozed_until" not in attrs:
            raise serializers.ValidationError({"snoozed_until": ["Required to snooze."]})
        if "method" in attrs and (not attrs.get("team_id") or attrs.get("assignee_id")):
            raise serializers.ValidationError({"method": [validation.ASSIGN_METHOD_NEEDS_TEAM]})
        return attrs


class TagSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=64, allow_blank=True)
    admin_id = serializers.IntegerField(required=False)


class CustomEventSerializer(StrictInputSerializer):
    # Bounded by the service (conversations.validation.clean_custom_event), which names
    # the field of each problem: name, metadata, metadata.<key>.
    name = serializers.CharField(allow_blank=True, trim_whitespace=False)
    metadata = serializers.JSONField(required=False, default=dict)
    admin_id = serializers.IntegerField(required=False)


class BulkSerializer(StrictInputSerializer):
    conversations = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=bulk.MAX_CONVERSATIONS,
    )
    action = serializers.ChoiceField(choices=bulk.ACTIONS)
    assignee_id = serializers.IntegerField(required=False, allow_null=True)
    team_id = serializers.IntegerField(required=False, allow_null=True)
    snoozed_until = serializers.DateTimeField(required=False)
    tag = serializers.CharField(max_length=64, required=False)

    def validate(self, attrs):
        kind = attrs["action"]
        if kind == "snooze" and "snoozed_until" not in attrs:
            raise serializers.ValidationError({"snoozed_until": ["Required to snooze."]})
        if kind in ("add_tag", "remove_tag") and not attrs.get("tag", "").strip():
            raise serializers.ValidationError({"tag": ["Name the tag."]})
        if kind == "assign":
            assignee_id, team_id = attrs.get("assignee_id"), attrs.get("team_id")
            if not assignee_id and not team_id:
                raise serializers.ValidationError(
                    {"assignee_id": ["Name a teammate or a team to assign to."]}
                )
            attrs["assignee"] = teammate_by_id(assignee_id, "assignee_id") if assignee_id else None
            attrs["team"] = None
            if team_id:
                attrs["team"] = (
                    Team.objects.filter(pk=team_id).first() if team_id <= MAX_ID else None
                )
                if attrs["team"] is None:
                    raise serializers.ValidationError({"team_id": [f"No team with id {team_id}."]})
        return attrs


BULK_RESULTS = inline_serializer(
    "BulkResults",
    {
        "results": serializers.ListField(
            child=inline_serializer(
                "BulkResult",
                {
                    "conversation": serializers.IntegerField(),
                    "ok": serializers.BooleanField(),
                    "error": serializers.CharField(),
                },
            )
        )
    },
)


class ConversationFilter(StrictFilterSet):
    state = filters.ChoiceFilter(choices=Conversation.State.choices)
    assignee = filters.ModelChoiceFilter(queryset=Teammate.objects.all())
    team = filters.ModelChoiceFilter(queryset=Team.objects.all())
    contact = filters.ModelChoiceFilter(queryset=Contact.objects.all())
    tag = filters.CharFilter(
        field_name="tags__name", lookup_expr="iexact", distinct=True, max_length=64
    )
    in_bot_inbox = StrictBooleanFilter()
    priority = StrictBooleanFilter()

    class Meta:
        model = Conversation
        fields = ["state", "assignee", "team", "tag", "in_bot_inbox", "priority", "contact"]


def teammate_by_id(value, field: str) -> Teammate:
    teammate = (
        Teammate.objects.filter(pk=value, is_active=True).first() if 0 < value <= MAX_ID else None
    )
    if teammate is None:
        raise serializers.ValidationError({field: [f"No active teammate with id {value}."]})
    return teammate


class ConversationViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Conversations: teammates see all; a contact (messenger token) only its own."""

    lookup_value_regex = r"\d+"  # ids only: anything else is a 404, not a 500
    serializer_class = ConversationSerializer
    filterset_class = ConversationFilter
    permission_classes = [IsTeammateOrContact]

    def get_queryset(self):
        if is_contact(self.request):
            return Conversation.objects.filter(contact=self.request.user.contact).order_by(
                "-created_at", "-id"
            )
        return (
            Conversation.objects.select_related("sla_policy")
            .prefetch_related("tags")
            .annotate(pending_event_count=pending_event_count())
            .order_by("-created_at", "-id")
        )

    def get_serializer_class(self):
        return ContactConversationSerializer if is_contact(self.request) else ConversationSerializer

    def part_serializer(self):
        return ContactPartSerializer if is_contact(self.request) else PartSerializer

    def filter_queryset(self, queryset):
        # A contact's filters could probe what it may not read (?tag=VIP, ?assignee=…):
        # a contact lists all of its own conversations, unfiltered.
        if is_contact(self.request):
            return queryset
        return super().filter_queryset(queryset)

    def conversation(self) -> Conversation:
        """The conversation of the URL, within the caller's reach (else 404)."""
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def acting(self, admin_id) -> tuple[Actor, Teammate]:
        """The teammate a write is recorded as: the caller, or, for a workspace admin (an
        integration acting for a teammate), the teammate `admin_id` names. Anyone else
        naming another teammate is refused, so the audit trail cannot be forged."""
        if is_contact(self.request):
            raise PermissionDenied(TEAMMATES_ONLY)
        caller = self.request.user
        if admin_id is None or admin_id == caller.pk:
            return Actor.teammate(caller), caller
        if not caller.is_workspace_admin:
            raise PermissionDenied(ACTING_FOR_ANOTHER_TEAMMATE)
        teammate = teammate_by_id(admin_id, "admin_id")
        return Actor.teammate(teammate), teammate

    def acting_as_customer(self, conversation) -> Actor:
        """`type: "user"`: the contact's own token, or a workspace admin writing for it."""
        if is_contact(self.request):
            return Actor.contact(self.request.user.contact)
        if not self.request.user.is_workspace_admin:
            raise PermissionDenied(WRITING_AS_THE_CUSTOMER)
        return Actor.contact(conversation.contact)

    def render(self, conversation, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=conversation.pk)
        return Response(self.get_serializer_class()(fresh).data, status=code)

    @extend_schema(request=ConversationCreateSerializer, responses={201: ConversationSerializer})
    def create(self, request, *args, **kwargs):
        """The customer opens a conversation; with a body it is also their first message."""
        data = ConversationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = data.validated_data.get("contact")
        if is_contact(request):
            own = request.user.contact
            if contact is not None and contact.pk != own.pk:
                raise serializers.ValidationError({"contact": ["You can only write as yourself."]})
            contact = own
        elif contact is None:
            raise serializers.ValidationError({"contact": ["This field is required."]})
        body = data.validated_data.get("body")
        conversation = services.conversation_open(
            contact=contact,
            body=body if body not in (None, "") else None,
            title=data.validated_data["title"],
            channel=Conversation.Channel.MESSENGER
            if is_contact(request)
            else Conversation.Channel.API,
        )
        return self.render(conversation, status.HTTP_201_CREATED)

    @extend_schema(request=ReplySerializer, responses={201: PartSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """A customer message, a teammate reply or an internal note."""
        conversation = self.conversation()
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind, body = data.validated_data["type"], data.validated_data["body"]
        if kind == "user":
            acting = self.acting_as_customer(conversation)
            part = services.conversation_customer_message(
                conversation=conversation, body=body, acting=acting
            )
        else:
            acting, teammate = self.acting(data.validated_data.get("admin_id"))
            if data.validated_data["message_type"] == "note":
                part = services.conversation_add_note(
                    conversation=conversation, body=body, acting=acting
                )
            else:
                part = services.conversation_teammate_reply(
                    conversation=conversation, teammate=teammate, body=body
                )
        return Response(self.part_serializer()(part).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        responses={200: PartSerializer(many=True)},
        description="The timeline, oldest first (a contact sees its messages only).",
    )
    @extend_schema(
        methods=["POST"],
        request=PartActionSerializer,
        responses={200: ConversationSerializer},
        description="Close, reopen, snooze or assign.",
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def parts(self, request, pk=None):
        conversation = self.conversation()
        if request.method == "GET":
            parts = conversation.parts.order_by("created_at", "id")
            if is_contact(request):
                parts = parts.filter(part_type__in=CONTACT_VISIBLE_PARTS)
            page = self.paginate_queryset(parts)
            return self.get_paginated_response(self.part_serializer()(page, many=True).data)
        data = PartActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        acting, _ = self.acting(data.validated_data.get("admin_id"))
        kind = data.validated_data["message_type"]
        if kind == "close":
            services.conversation_close(conversation=conversation, acting=acting)
        elif kind == "open":
            services.conversation_reopen(conversation=conversation, acting=acting)
        elif kind == "snoozed":
            services.conversation_snooze(
                conversation=conversation,
                until=data.validated_data["snoozed_until"],
                acting=acting,
            )
        else:
            assignee_id = data.validated_data.get("assignee_id")
            team_id = data.validated_data.get("team_id")
            assignee = teammate_by_id(assignee_id, "assignee_id") if assignee_id else None
            team = None
            if team_id:
                team = Team.objects.filter(pk=team_id).first()
                if team is None:
                    raise serializers.ValidationError({"team_id": [f"No team with id {team_id}."]})
            if assignee is None and team is None:
                services.conversation_unassign(conversation=conversation, acting=acting)
            elif "method" in data.validated_data:
                services.conversation_assign_to_team(
                    conversation=conversation,
                    team=team,
                    method=data.validated_data["method"],
                    acting=acting,
                )
            else:
                services.conversation_assign(
                    conversation=conversation, assignee=assignee, team=team, acting=acting
                )
        return self.render(conversation)

    @extend_schema(
        request=CustomEventSerializer,
        responses={201: PartSerializer},
        description="Record a custom event (fires custom-event workflows). Teammates and "
        "integrations (admin tokens) may post; a contact's Messenger token may not.",
    )
    @action(detail=True, methods=["post"])
    def events(self, request, pk=None):
        conversation = self.conversation()
        data = CustomEventSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # A contact could otherwise set off workflows meant for trusted systems.
        acting, _ = self.acting(data.validated_data.get("admin_id"))
        part = services.conversation_record_custom_event(
            conversation=conversation,
            name=data.validated_data["name"],
            metadata=data.validated_data.get("metadata"),
            acting=acting,
        )
        return Response(self.part_serializer()(part).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BulkSerializer, responses={200: BULK_RESULTS})
    @action(detail=False, methods=["post"], filter_backends=[])
    def bulk(self, request):
        """One action on many conversations, as the caller: a result per conversation
        (one failing changes nothing on the others)."""
        if is_contact(request):
            raise PermissionDenied(TEAMMATES_ONLY)
        data = BulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = bulk.BulkAction(
            action=values["action"],
            assignee=values.get("assignee"),
            team=values.get("team"),
            until=values.get("snoozed_until"),
            tag=values.get("tag", "").strip(),
        )
        results = bulk.run(order, values["conversations"], request.user)
        return Response({"results": results})

    @extend_schema(request=TagSerializer, responses={200: ConversationSerializer})
    @action(detail=True, methods=["post"])
    def tags(self, request, pk=None):
        conversation = self.conversation()
        data = TagSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        acting, _ = self.acting(data.validated_data.get("admin_id"))
        services.conversation_add_tag(
            conversation=conversation, name=data.validated_data["name"], acting=acting
        )
        return self.render(conversation)

    @extend_schema(
        parameters=[OpenApiParameter("admin_id", int, required=False)],
        responses={200: ConversationSerializer},
    )
    @action(detail=True, methods=["delete"], url_path=r"tags/(?P<name>.+)")
    def remove_tag(self, request, pk=None, name=None):
        conversation = self.conversation()
        admin_id = request.query_params.get("admin_id")
        if admin_id is not None and not validation.is_digits(admin_id):
            raise serializers.ValidationError({"admin_id": ["A teammate id."]})
        acting, _ = self.acting(int(admin_id) if admin_id else None)
        services.conversation_remove_tag(conversation=conversation, name=name, acting=acting)
        return self.render(conversation)
