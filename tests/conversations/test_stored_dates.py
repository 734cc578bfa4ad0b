"""A date past year 9998 stored before dates were bounded is moved to the last allowed
moment by the migration, and the conversation reads again."""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import DataError, connection, transaction

from conversations.models import Conversation
from conversations.stored_dates import clamp_far_datetimes
from tests.factories import ConversationFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="only PostgreSQL stores a year past 9999",
    ),
]


def test_a_conversation_snoozed_past_year_9998_reads_again_after_the_migration(admin_client):
    conversation = ConversationFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE conversations_conversation SET state = 'snoozed', "
            "snoozed_until = '10000-01-01 11:59:59+00' WHERE id = %s",
            [conversation.pk],
        )
    with pytest.raises(DataError), transaction.atomic():
        Conversation.objects.get(pk=conversation.pk)

    with connection.schema_editor() as editor:
        clamp_far_datetimes(apps, editor, "conversations")

    conversation = Conversation.objects.get(pk=conversation.pk)
    assert (conversation.snoozed_until.year, conversation.snoozed_until.month) == (9998, 12)
    assert admin_client.get(f"/api/conversations/{conversation.pk}/").status_code == 200
