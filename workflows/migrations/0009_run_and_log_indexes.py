from django.db import migrations, models

# Foreign keys whose own index a composite index below (or already there) leads with.
REDUNDANT_FOREIGN_KEY_INDEXES = [
    ("workflowrun", "conversation"),  # run_conv_workflow
    ("workflowrun", "workflow"),  # run_workflow_started
    ("workflowlog", "conversation"),  # log_conversation
    ("workflowlog", "workflow"),  # log_workflow_kind
]


def drop_foreign_key_indexes(apps, schema_editor):
    """Drop the plain index of each of these foreign keys, and nothing else.

    Not an AlterField(db_index=False): on PostgreSQL that drops every non-meta index on
    the column, which takes the partial unique index one_active_customer_facing_run
    (on conversation_id) with it.
    """
    for model_name, field_name in REDUNDANT_FOREIGN_KEY_INDEXES:
        model = apps.get_model("workflows", model_name)
        column = model._meta.get_field(field_name).column
        keep = {index.name for index in model._meta.indexes}
        keep |= {constraint.name for constraint in model._meta.constraints}
        names = schema_editor._constraint_names(
            model, [column], index=True, unique=False, type_=models.Index.suffix, exclude=keep
        )
        for name in names:
            schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_foreign_key_indexes(apps, schema_editor):
    for model_name, field_name in REDUNDANT_FOREIGN_KEY_INDEXES:
        model = apps.get_model("workflows", model_name)
        field = model._meta.get_field(field_name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    """Partial index for active runs, composite (conversation, workflow) for ran-before;
    then the foreign-key indexes that composite indexes lead with are dropped: one index
    less to write per run and two per log row."""

    dependencies = [
        ("conversations", "0005_clamp_far_dates"),
        ("workflows", "0008_one_timer_table"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="workflowrun",
            index=models.Index(
                condition=models.Q(("status__in", ["running", "waiting"])),
                fields=["conversation"],
                name="run_active_by_conv",
            ),
        ),
        migrations.AddIndex(
            model_name="workflowrun",
            index=models.Index(fields=["conversation", "workflow"], name="run_conv_workflow"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_foreign_key_indexes, create_foreign_key_indexes)
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="workflowlog",
                    name="conversation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="workflow_logs",
                        to="conversations.conversation",
                    ),
                ),
                migrations.AlterField(
                    model_name="workflowlog",
                    name="workflow",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.PROTECT,
                        related_name="logs",
                        to="workflows.workflow",
                    ),
                ),
                migrations.AlterField(
                    model_name="workflowrun",
                    name="conversation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="workflow_runs",
                        to="conversations.conversation",
                    ),
                ),
                migrations.AlterField(
                    model_name="workflowrun",
                    name="workflow",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="runs",
                        to="workflows.workflow",
                    ),
                ),
            ],
        ),
    ]
