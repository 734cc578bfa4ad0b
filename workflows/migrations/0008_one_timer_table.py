"""One timer table: waits and snoozes become `Timer` rows like SLA targets and silences.

Runs waiting on a wait step (`resume_at`) get a wait timer and snoozed conversations a
snooze timer, with the keys the processor writes (so a timer set again is a no-op). The
sweep (`workflows.fire_due_timers`) fires those due; no ETA task is needed for them.
SLA and silence timers are unchanged: firing reads the SLA due time from `due_at`.
"""

from django.db import migrations, models

from workflows.engine import timers as timer_rules

BATCH_SIZE = 1000


def waits_and_snoozes_to_timers(apps, schema_editor):
    Timer = apps.get_model("workflows", "Timer")
    WorkflowRun = apps.get_model("workflows", "WorkflowRun")
    Conversation = apps.get_model("conversations", "Conversation")

    waiting = WorkflowRun.objects.filter(status="waiting", resume_at__isnull=False)
    waits = (
        (conversation_id, timer_rules.wait_timer(run_id, resume_at))
        for run_id, conversation_id, resume_at in waiting.values_list(
            "pk", "conversation_id", "resume_at"
        ).iterator()
    )
    snoozed = Conversation.objects.filter(state="snoozed", snoozed_until__isnull=False)
    snoozes = (
        (conversation_id, timer_rules.snooze_timer(until))
        for conversation_id, until in snoozed.values_list("pk", "snoozed_until").iterator()
    )
    for specs in (waits, snoozes):
        batch = []
        for conversation_id, spec in specs:
            batch.append(_timer(Timer, conversation_id, spec))
            if len(batch) == BATCH_SIZE:
                Timer.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        Timer.objects.bulk_create(batch, ignore_conflicts=True)


def _timer(Timer, conversation_id, spec):
    return Timer(
        conversation_id=conversation_id,
        kind=spec.kind,
        key=spec.key,
        due_at=spec.due_at,
        payload=spec.payload,
    )


def drop_wait_and_snooze_timers(apps, schema_editor):
    # The code before this migration keeps waits in resume_at and snoozes in snoozed_until.
    apps.get_model("workflows", "Timer").objects.filter(kind__in=["wait", "snooze"]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('conversations', '0005_clamp_far_dates'),
        ('workflows', '0007_clamp_far_dates'),
    ]

    operations = [
        migrations.AlterField(
            model_name='timer',
            name='kind',
            field=models.CharField(choices=[('wait', 'Wait step'), ('snooze', 'Snooze'), ('sla', 'SLA target'), ('customer_unresponsive', 'Customer unresponsive'), ('teammate_unresponsive', 'Teammate unresponsive')], max_length=30),
        ),
        migrations.AddIndex(
            model_name='timer',
            index=models.Index(condition=models.Q(('fired_at__isnull', True)), fields=['conversation', 'due_at'], name='timer_pending_conversation'),
        ),
        migrations.RunPython(waits_and_snoozes_to_timers, drop_wait_and_snooze_timers),
    ]
