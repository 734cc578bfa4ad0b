"""The API takes what its OpenAPI schema documents, and refuses the rest with a 400
(issue 11: schemathesis with all checks, negative data included).

DRF and django-filter are lenient by default: unknown keys are dropped, `5` passes as the
string "5" and "5" as the number 5, `{}` as an empty list of members, `?is_background=null`
and `?state=` as no filter at all, `?page=` as page 1. Here:

- `StrictInputSerializer`: a JSON object's unknown keys are refused; read-only fields the
  API returns are accepted and ignored (API.md "Additions", round trip); every writable
  field gets the JSON type its schema documents.
- `StrictFilterSet`: a filter given twice or empty (except free text) is refused;
  booleans are `true` or `false`.
- `StrictPageNumberPagination`: `page` is a whole number from 1, else DRF's 404
  "Invalid page." (documented in the schema).
"""

import re

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

UNKNOWN_FIELD = "Unknown field."
NOT_A_STRING = "Give a string."
NOT_A_WHOLE_NUMBER = "Give a whole number."
NOT_A_BOOLEAN = "Give true or false."
NOT_A_LIST = "Give a list."
FILTER_GIVEN_TWICE = "Give this filter once."
FILTER_EMPTY = "Give a value, or leave the filter out."
# A page number: digits from 1, at most 18 of them (far past any page, within 64 bits).
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,17}")


def _type_problem(field, value) -> str | None:
    """The JSON type a field's schema documents, checked before DRF coerces the value."""
    if value is None:
        return None  # DRF answers "may not be null" where null is not allowed
    if isinstance(field, serializers.ManyRelatedField):
        if not isinstance(value, list):
            return NOT_A_LIST
        if any(isinstance(item, bool) or not isinstance(item, int) for item in value):
            return NOT_A_WHOLE_NUMBER
    elif isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return NOT_A_LIST
        if isinstance(field.child, serializers.IntegerField) and any(
            isinstance(item, bool) or not isinstance(item, int) for item in value
        ):
            return NOT_A_WHOLE_NUMBER
    elif isinstance(field, serializers.BooleanField):
        if not isinstance(value, bool):
            return NOT_A_BOOLEAN
    elif isinstance(field, (serializers.IntegerField, serializers.PrimaryKeyRelatedField)):
        if isinstance(value, bool) or not isinstance(value, int):
            return NOT_A_WHOLE_NUMBER
    elif isinstance(field, (serializers.CharField, serializers.ChoiceField)) and not isinstance(
        value, str
    ):
        return NOT_A_STRING
    return None


# No docstrings on these bases: drf-spectacular would show them as every body's description.
class StrictInputSerializer(serializers.Serializer):
    # Refuses unknown keys and values of the wrong JSON type (see the module docstring).

    # Keys of the answer that are not fields here, ignored on input (round trip).
    ignored_keys: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if isinstance(data, dict):  # the API parses JSON only (a non-object: DRF's error)
            known = {*self.fields, *self.ignored_keys}
            errors = {key: [UNKNOWN_FIELD] for key in data if key not in known}
            for name, field in self.fields.items():
                if name in data and not field.read_only:
                    problem = _type_problem(field, data[name])
                    if problem:
                        errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictModelSerializer(StrictInputSerializer, serializers.ModelSerializer):
    pass


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(NOT_A_BOOLEAN)


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(filters.BooleanFilter):
    """`true` or `false`; django-filter's reads anything else (`null`) as no filter."""

    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's BooleanWidget reads anything but true/false/1/0 as "no filter".
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class StrictFilterSet(filters.FilterSet):
    """A FilterSet that refuses a filter given twice, and an empty value for a filter that
    is not free text (`?state=` used to mean no filter: a typo passed unnoticed)."""

    def is_valid(self):
        valid = super().is_valid()
        getlist = getattr(self.data, "getlist", None)
        if getlist is None:
            return valid
        for name, declared in self.filters.items():
            values = getlist(name)
            if len(values) > 1:
                self.form.add_error(name, FILTER_GIVEN_TWICE)
            elif values == [""] and not isinstance(declared, filters.CharFilter):
                self.form.add_error(name, FILTER_EMPTY)
        return valid and not self.form.errors


class StrictPageNumberPagination(PageNumberPagination):
    """`page` is a whole number from 1; anything else (`page=`, `page=+1`, `page=last`,
    two pages) is DRF's 404 "Invalid page.", as a page past the end is."""

    last_page_strings = ()

    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) > 1 or not PAGE_NUMBER.fullmatch(values[0]):
            raise NotFound(self.invalid_page_message)
        return int(values[0])
