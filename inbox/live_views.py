"""Live updates as server-sent events (README "Live updates"; conversations/live.py).

Four streams, each an async view holding its connection open under the ASGI server:

- the inbox (teammates): every conversation's changes;
- a conversation (teammates): that conversation's changes;
- a teammate's notifications (that teammate): the bell refreshes;
- a Messenger conversation (its customer only, the same checks as the Messenger's pages).

Each sends `event: ready` once it listens (the page refreshes then: nothing published
after that refresh is missed), `event: change` with the conversation's id for each change,
and a comment line every LIVE_KEEPALIVE_SECONDS. Pages re-fetch their fragments on
`change`; a stream only ever says which conversation changed.

Under a WSGI server (Django's test server, `gunicorn config.wsgi`) a stream cannot be
held open without holding a thread: the streams answer 204 there, which tells the browser
not to reconnect, and the pages poll instead (static/js/live.js).

Refusals are plain statuses, never a redirect to the login page (an EventSource cannot
show one): 403 for no teammate, 404 for a conversation that is not the customer's.
"""

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, HttpResponseForbidden, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from conversations import live
from conversations.models import Conversation
from inbox import messenger_views


def event_stream(request, channel: str) -> HttpResponse:
    if not isinstance(request, ASGIRequest):
        return HttpResponse(status=204)
    response = StreamingHttpResponse(events(channel), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


async def events(channel: str):
    hub, queue = await live.subscribe(channel)
    try:
        # The browser reconnects 1 s after a dropped connection.
        yield "retry: 1000\nevent: ready\ndata: \n\n"
        while True:
            try:
                conversation_id = await asyncio.wait_for(
                    queue.get(), settings.LIVE_KEEPALIVE_SECONDS
                )
            except TimeoutError:
                yield ": still here\n\n"
                continue
            yield f"event: change\ndata: {conversation_id}\n\n"
    finally:
        hub.remove(channel, queue)


async def teammate(request):
    user = await request.auser()
    return user if user.is_authenticated and user.is_active else None


@require_GET
async def inbox_stream(request):
    if await teammate(request) is None:
        return HttpResponseForbidden("Log in to follow the inbox.")
    return event_stream(request, live.INBOX)


@require_GET
async def notification_stream(request):
    """The teammate's own channel: a new notification, or some marked read (the bell)."""
    user = await teammate(request)
    if user is None:
        return HttpResponseForbidden("Log in to follow your notifications.")
    return event_stream(request, live.teammate_channel(user.pk))


@require_GET
async def conversation_stream(request, pk):
    if await teammate(request) is None:
        return HttpResponseForbidden("Log in to follow this conversation.")
    conversation = await sync_to_async(get_object_or_404)(Conversation.objects.only("pk"), pk=pk)
    return event_stream(request, live.conversation_channel(conversation.pk))


@require_GET
async def messenger_stream(request, pk):
    # The Messenger pages' own check: the signed-in contact's conversation, else 404.
    _, conversation = await sync_to_async(messenger_views.own_conversation)(request, pk)
    response = event_stream(request, live.conversation_channel(conversation.pk))
    response["Referrer-Policy"] = messenger_views.REFERRER_POLICY
    return response
