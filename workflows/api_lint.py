"""GET /api/workflows/lint/: the catalog's likely mistakes (workflows/lint.py), admins only."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.api_auth import IsWorkspaceAdmin
from workflows.linting import catalog_findings


class WorkflowLintView(APIView):
    permission_classes = [IsWorkspaceAdmin]

    @extend_schema(
        responses={
            200: inline_serializer(
                "LintFinding",
                {
                    "workflow": serializers.IntegerField(),
                    "severity": serializers.ChoiceField(choices=["warning", "error"]),
                    "code": serializers.CharField(),
                    "place": serializers.CharField(),
                    "message": serializers.CharField(),
                },
                many=True,
            )
        }
    )
    def get(self, request):
        return Response([finding.as_dict() for finding in catalog_findings()])
