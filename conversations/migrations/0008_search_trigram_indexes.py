"""Trigram indexes for the inbox search (inbox/selectors.search) on PostgreSQL.

Django's `icontains` reads `UPPER(column::text) LIKE UPPER(%s)`, so each index is on that
expression with pg_trgm's operator class. SQLite has neither: there the migration does
nothing (a search scans, which is fine at SQLite's sizes).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "contact_name_trgm": ("conversations_contact", "name"),
    "contact_email_trgm": ("conversations_contact", "email"),
    "part_body_trgm": ("conversations_part", "body"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("conversations", "0007_inbox_sort_indexes")]

    operations = [
        # TrigramExtension does nothing on databases other than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create, drop),
    ]
