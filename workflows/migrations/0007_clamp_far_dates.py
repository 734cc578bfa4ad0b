from django.db import migrations

from conversations.stored_dates import clamp_far_datetimes


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0006_archive_workflows"),
        ("conversations", "0005_clamp_far_dates"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, editor: clamp_far_datetimes(apps, editor, "workflows"),
            migrations.RunPython.noop,
        )
    ]
