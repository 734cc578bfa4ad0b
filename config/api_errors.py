"""Every refusal is a 400 with field messages (DRF's shape), never a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from workflows.engine.errors import DefinitionError


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DefinitionError):
        exc = exceptions.ValidationError(exc.errors)
    return drf_exception_handler(exc, context)
