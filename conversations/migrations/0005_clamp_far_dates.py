from django.db import migrations

from conversations.stored_dates import clamp_far_datetimes


class Migration(migrations.Migration):
    dependencies = [("conversations", "0004_officehours")]

    operations = [
        migrations.RunPython(
            lambda apps, editor: clamp_far_datetimes(apps, editor, "conversations"),
            migrations.RunPython.noop,
        )
    ]
