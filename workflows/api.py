"""REST API for workflows (API.md's JSON format), their runs, reorder and dry run."""

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api_input import (
    StrictBooleanFilter,
    StrictFilterSet,
    StrictInputSerializer,
)
from conversations.api_auth import IsTeammate, IsTeammateReadOrAdminWrite, IsWorkspaceAdmin
from conversations.dispatch import enqueue_on_commit
from conversations.models import Conversation
from workflows import replay, services
from workflows.audit_trail import audited, audited_reorder
from workflows.dry_run import workflow_dry_run
from workflows.engine.definitions import FREQUENCIES, STATUSES, TRIGGERS
from workflows.engine.errors import DefinitionError
from workflows.models import (
    ReplayJob,
    Secret,
    Workflow,
    WorkflowLog,
    WorkflowRun,
    WorkflowVersion,
)

LOG_KINDS_OF_SKIPS = [
    WorkflowLog.Kind.SKIPPED,
    WorkflowLog.Kind.NOT_MATCHED,
    WorkflowLog.Kind.CHAIN_CUT,
]


class WorkflowSerializer(serializers.Serializer):
    """The workflow document of API.md; the engine's validator decides what is valid."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    trigger = serializers.ChoiceField(choices=TRIGGERS)
    trigger_options = serializers.JSONField(required=False)
    frequency = serializers.ChoiceField(choices=FREQUENCIES, required=False)
    audience = serializers.JSONField(required=False, help_text='{"match": "all", "rules": [...]}')
    steps = serializers.JSONField(help_text="Ordered steps, see API.md.")
    is_background = serializers.BooleanField(read_only=True)
    priority = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    version = serializers.IntegerField(read_only=True, help_text="The live version's number.")
    draft = serializers.JSONField(
        read_only=True, allow_null=True, help_text="The saved draft document, or null."
    )

    def to_representation(self, workflow):
        return {
            "id": workflow.pk,
            **workflow.document(),
            "version": workflow.version,
            "draft": workflow.draft,
            "is_background": workflow.is_background,
            "priority": workflow.priority,
            "created_at": serializers.DateTimeField().to_representation(workflow.created_at),
            "updated_at": serializers.DateTimeField().to_representation(workflow.updated_at),
        }


class WorkflowVersionSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="number", read_only=True)
    author = serializers.SerializerMethodField()

    class Meta:
        model = WorkflowVersion
        fields = ["version", "created_at", "author", "document"]

    def get_author(self, version) -> str | None:
        return version.author.username if version.author_id else None


class WorkflowFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=[(s, s) for s in STATUSES])
    trigger = filters.ChoiceFilter(choices=[(t, t) for t in TRIGGERS])
    is_background = StrictBooleanFilter()

    class Meta:
        model = Workflow
        fields = ["status", "trigger", "is_background"]


class ReorderSerializer(StrictInputSerializer):
    trigger = serializers.ChoiceField(choices=TRIGGERS)
    order = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, min_length=1)


class ReplayRequestSerializer(StrictInputSerializer):
    since = serializers.CharField(max_length=10, help_text='How far back: "7d".')
    document = serializers.JSONField(
        required=False, allow_null=True, help_text="A draft to try instead of the live version."
    )

    def validate_since(self, value):
        try:
            return replay.parse_since(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_document(self, value):
        if value is not None and not isinstance(value, dict):
            raise serializers.ValidationError("A workflow is a JSON object.")
        return services.without_read_only_keys(value) if value is not None else None


def replay_job_data(job: ReplayJob) -> dict:
    return {
        "job": job.pk,
        "status": job.status,
        "progress": job.progress,
        "events_total": job.events_total,
        "events_done": job.events_done,
        "error": job.error,
        "result": job.result,
    }


class DryRunRequestSerializer(StrictInputSerializer):
    conversation = serializers.PrimaryKeyRelatedField(queryset=Conversation.objects.all())


def _document(request) -> dict:
    """The document as sent, without the read-only fields: the engine validates the rest
    (and names every place; an unknown key is still refused)."""
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"non_field_errors": ["A workflow is a JSON object."]})
    return services.without_read_only_keys(request.data)


class WorkflowViewSet(viewsets.ModelViewSet):
    """Workflows in priority order within each trigger; admins write, teammates read."""

    lookup_value_regex = r"\d+"  # ids only: anything else is a 404, not a 500
    # Archiving a reusable workflow another one runs answers 409 (documented by the hook).
    conflict_methods = ("delete",)
    queryset = Workflow.objects.order_by("trigger", "priority", "id")
    serializer_class = WorkflowSerializer
    filterset_class = WorkflowFilter
    permission_classes = [IsTeammateReadOrAdminWrite]

    def create(self, request, *args, **kwargs):
        document = _document(request)
        workflow = audited(
            request.user,
            None,
            lambda: services.workflow_create(document=document, author=request.user),
        )
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        workflow = self.get_object()
        document = _document(request)
        if kwargs.get("partial"):
            document = {**workflow.document(), **document}
        workflow = audited(
            request.user,
            workflow,
            lambda: services.workflow_update(
                workflow=workflow, document=document, author=request.user
            ),
        )
        return Response(WorkflowSerializer(workflow).data)

    @extend_schema(request=WorkflowSerializer, responses={200: WorkflowSerializer})
    @action(detail=True, methods=["put", "delete"], filter_backends=[], pagination_class=None)
    def draft(self, request, pk=None):
        """PUT saves the document as the draft (validated; nothing goes live); DELETE
        drops the draft. The live version and its runs are unchanged either way."""
        workflow = self.get_object()
        if request.method == "DELETE":
            workflow = services.workflow_discard_draft(workflow=workflow)
        else:
            workflow = services.workflow_save_draft(workflow=workflow, document=_document(request))
        return Response(WorkflowSerializer(workflow).data)

    @extend_schema(request=None, responses={200: WorkflowSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def publish(self, request, pk=None):
        """Make the draft live as the next version (400 when there is none)."""
        workflow = self.get_object()
        workflow = audited(
            request.user,
            workflow,
            lambda: services.workflow_publish(workflow=workflow, author=request.user),
        )
        return Response(WorkflowSerializer(workflow).data)

    @extend_schema(responses={200: WorkflowVersionSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def versions(self, request, pk=None):
        """Every published version, newest first."""
        workflow = self.get_object()
        versions = workflow.versions.select_related("author").order_by("-number")
        return Response(WorkflowVersionSerializer(versions, many=True).data)

    @extend_schema(request=None, responses={200: WorkflowSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"versions/(?P<number>\d{1,9})/restore",
        filter_backends=[],
        pagination_class=None,
    )
    def restore(self, request, pk=None, number=None):
        """Publish version `number`'s document as a new version (404 if there is none)."""
        workflow = self.get_object()
        get_object_or_404(workflow.versions, number=int(number))
        workflow = audited(
            request.user,
            workflow,
            lambda: services.workflow_restore(
                workflow=workflow, number=int(number), author=request.user
            ),
        )
        return Response(WorkflowSerializer(workflow).data)

    def destroy(self, request, *args, **kwargs):
        """Archive the workflow: it leaves lists and reads, starts no run, its active runs
        end as interrupted; its runs and logs are kept. 409 while another workflow runs it."""
        try:
            workflow = self.get_object()
            audited(request.user, workflow, lambda: services.workflow_archive(workflow=workflow))
        except services.WorkflowInUse as error:
            return Response(error.message_dict, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ReorderSerializer, responses={200: WorkflowSerializer(many=True)})
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def reorder(self, request):
        """Set the priority order of one trigger's workflows (every id exactly once)."""
        data = ReorderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ordered = audited_reorder(
            request.user, lambda: services.workflow_reorder(**data.validated_data)
        )
        return Response(WorkflowSerializer(ordered, many=True).data)

    @extend_schema(
        request=DryRunRequestSerializer,
        responses={
            200: inline_serializer(
                "DryRun",
                {
                    "workflow": serializers.IntegerField(),
                    "conversation": serializers.IntegerField(),
                    "trigger": serializers.CharField(),
                    "audience": serializers.JSONField(),
                    "would_start": serializers.BooleanField(),
                    "reason": serializers.CharField(),
                    "steps": serializers.JSONField(),
                    "message_used": serializers.CharField(allow_null=True),
                },
            )
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsTeammate])
    def test(self, request, pk=None):
        """A dry run against a conversation: what would match and happen. Changes nothing."""
        workflow = self.get_object()
        data = DryRunRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(workflow_dry_run(workflow, data.validated_data["conversation"]))

    @extend_schema(
        request=ReplayRequestSerializer,
        responses={
            200: inline_serializer(
                "Replay",
                {
                    "events_examined": serializers.IntegerField(),
                    "would_start": serializers.IntegerField(),
                    "would_skip": serializers.IntegerField(),
                    "conversations": serializers.JSONField(),
                    "truncated": serializers.BooleanField(),
                    "compared_with_live": serializers.JSONField(allow_null=True),
                },
            ),
            202: inline_serializer("ReplayJob", {"job": serializers.IntegerField()}),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsWorkspaceAdmin])
    def replay(self, request, pk=None):
        """What the workflow (or the draft `document`) would have done on the events of
        its trigger since `since`, judged on each conversation as it was then. Changes
        nothing. Over REPLAY_SYNC_EVENTS events: 202 and a job to poll."""
        workflow = self.get_object()
        data = ReplayRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        days, document = data.validated_data["since"], data.validated_data.get("document")
        try:
            compiled = replay.compiled_for(workflow, document)
        except DefinitionError as error:
            raise serializers.ValidationError({"document": error.errors}) from None
        total = replay.count_events(workflow, compiled, days)
        if total <= settings.REPLAY_SYNC_EVENTS:
            return Response(replay.replay(workflow, days=days, document=document))
        job = ReplayJob.objects.create(
            workflow=workflow,
            requested_by=request.user,
            since_days=days,
            document=document,
            events_total=total,
        )
        from workflows.tasks import replay_workflow_task

        enqueue_on_commit(replay_workflow_task, job.pk)
        return Response(replay_job_data(job), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={200: inline_serializer("ReplayProgress", {"job": serializers.IntegerField()})}
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"replay/(?P<job_id>\d+)",
        permission_classes=[IsWorkspaceAdmin],
    )
    def replay_job(self, request, pk=None, job_id=None):
        """A large replay's progress (percent) and, once done, its result."""
        job = get_object_or_404(ReplayJob, pk=job_id, workflow=self.get_object())
        return Response(replay_job_data(job))


class WorkflowLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkflowLog
        fields = ["id", "kind", "message", "details", "workflow", "event", "created_at"]


class WorkflowRunSerializer(serializers.ModelSerializer):
    workflow_name = serializers.CharField(source="workflow.name", read_only=True)
    logs = WorkflowLogSerializer(many=True, read_only=True)

    class Meta:
        model = WorkflowRun
        fields = [
            "id",
            "workflow",
            "workflow_name",
            "conversation",
            "event",
            "version",
            "status",
            "is_customer_facing",
            "waiting_for",
            "resume_at",
            "started_at",
            "ended_at",
            "end_reason",
            "logs",
        ]


def runs_with_logs():
    return WorkflowRun.objects.select_related("workflow").prefetch_related(
        Prefetch("logs", queryset=WorkflowLog.objects.order_by("id"))
    )


class WorkflowRunFilter(StrictFilterSet):
    # Archived workflows too: their runs stay readable.
    workflow = filters.ModelChoiceFilter(queryset=Workflow.all_objects.all())
    conversation = filters.ModelChoiceFilter(queryset=Conversation.objects.all())
    status = filters.ChoiceFilter(choices=WorkflowRun.Status.choices)

    class Meta:
        model = WorkflowRun
        fields = ["workflow", "conversation", "status"]


class WorkflowRunViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"  # ids only: anything else is a 404, not a 500
    queryset = runs_with_logs().order_by("-id")
    serializer_class = WorkflowRunSerializer
    filterset_class = WorkflowRunFilter
    permission_classes = [IsTeammate]


class ConversationRunsView(generics.GenericAPIView):
    """The workflow runs on one conversation with their step logs, and the skips."""

    permission_classes = [IsTeammate]
    serializer_class = WorkflowRunSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        responses={
            200: inline_serializer(
                "ConversationRuns",
                {
                    "runs": WorkflowRunSerializer(many=True),
                    "skips": WorkflowLogSerializer(many=True),
                },
            )
        }
    )
    def get(self, request, pk):
        conversation = get_object_or_404(Conversation, pk=pk)
        runs = runs_with_logs().filter(conversation=conversation).order_by("id")
        skips = WorkflowLog.objects.filter(
            conversation=conversation, kind__in=LOG_KINDS_OF_SKIPS
        ).order_by("id")
        return Response(
            {
                "runs": WorkflowRunSerializer(runs, many=True).data,
                "skips": WorkflowLogSerializer(skips, many=True).data,
            }
        )


class SecretSerializer(StrictInputSerializer):
    """A secret the HTTP request step's headers name: its value is written, never read."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.RegexField(
        r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$",
        error_messages={"invalid": "Letters, digits, _ and - (at most 64)."},
    )
    value = serializers.CharField(write_only=True, max_length=2000, trim_whitespace=False)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_name(self, name):
        taken = Secret.objects.filter(name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(f'A secret named "{name}" exists.')
        return name

    def validate_value(self, value):
        if not value.strip() or "\n" in value or "\r" in value:
            raise serializers.ValidationError("One line of text (it goes in a header).")
        return value

    def create(self, validated_data):
        return Secret.objects.create(**validated_data)

    def update(self, secret, validated_data):
        for key, value in validated_data.items():
            setattr(secret, key, value)
        secret.updated_at = timezone.now()
        secret.save()
        return secret


class SecretViewSet(viewsets.ModelViewSet):
    """/api/secrets/: admins store values HTTP steps name ({{secret.NAME}}); reads give
    names and dates only."""

    serializer_class = SecretSerializer
    permission_classes = [IsWorkspaceAdmin]
    queryset = Secret.objects.all()
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]
