"""Rows stored before dates were bounded (years 1-9998) may hold a later one that
PostgreSQL accepts and Python cannot read (year 10000): every read of the row answered
500. The migrations of each app move such values to the last moment allowed."""

from django.db import models

from conversations.validation import MAX_YEAR

LAST_STORABLE_MOMENT = f"{MAX_YEAR}-12-31 23:59:59+00"


def clamp_far_datetimes(apps, schema_editor, app_label: str) -> None:
    """A RunPython body: every DateTimeField of the app's models, on PostgreSQL."""
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite stores text; Django never wrote a year past 9999 there
    quote = schema_editor.quote_name
    for model in apps.get_app_config(app_label).get_models():
        for field in model._meta.local_fields:
            if isinstance(field, models.DateTimeField):
                column, table = quote(field.column), quote(model._meta.db_table)
                schema_editor.execute(
                    f"UPDATE {table} SET {column} = %s WHERE {column} > %s",
                    [LAST_STORABLE_MOMENT, LAST_STORABLE_MOMENT],
                )
