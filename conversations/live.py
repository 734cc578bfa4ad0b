"""Live updates: "something changed in conversation X", told to whoever watches it.

The services publish after the commit that changed a conversation (a part, an event, an
assignment, a state change; the orchestrator's batched writes once per processing), so a
rolled-back change tells nobody. Watchers are the server-sent-event streams of
inbox/live_views.py: the teammates' inbox list (every conversation) and one conversation
(the teammate's page and the customer's Messenger). A message only says which
conversation changed; the page then fetches its fragments as it always did.
A teammate's notifications have their own channel (`teammate_channel`: the inbox's
bell), published on the same Redis channel as `teammate-<id>`, or its own stamp file.

Two fan-outs, chosen by LIVE_URL (config/settings.py):

- `redis://…`: Redis pub/sub. Any process (web server, worker) PUBLISHes the id on one
  channel; each web process holds one subscription and hands each id to its own open
  streams. Any number of web processes on any number of hosts.
- empty (`make run`, tests): a folder of stamp files under VAR_DIR/live, one per
  conversation and one for the inbox. Publishing rewrites the stamps; each web process
  reads the stamps its streams watch every LIVE_POLL_SECONDS. No server; the web server
  and the workers must share the folder (one host).

Publishing never fails a change: an error is logged, and the pages catch up on their
next refresh (each page still polls slowly, and at once when its stream reconnects).
"""

import asyncio
import logging
import os
import time
from contextlib import suppress
from itertools import count
from pathlib import Path

from django.conf import settings
from django.db import transaction

from conversations.dispatch import without_url_credentials

logger = logging.getLogger(__name__)

INBOX = "inbox"
# The message a stream gets when changes may have been missed (its Redis subscription
# was re-made): refresh everything.
RESYNC = 0
# After a failed publish this process does not try again for a while (a Redis that is
# away would otherwise cost every change its connect time-out).
BACK_OFF_SECONDS = 5.0
# How long a new stream waits for the Redis subscription before it says "ready".
SUBSCRIBE_WAIT_SECONDS = 2.0


def conversation_channel(conversation_id: int) -> str:
    return f"conversation-{int(conversation_id)}"


# A teammate's own channel: "you have a new notification" (the inbox's bell). Its messages
# carry no conversation (0): the bell fetches its fragment.
TEAMMATE_PREFIX = "teammate-"


def teammate_channel(teammate_id: int) -> str:
    return f"{TEAMMATE_PREFIX}{int(teammate_id)}"


def publish_teammate_on_commit(teammate_id: int) -> None:
    """Tell this teammate's open pages (their bell) once the transaction commits."""
    channel = teammate_channel(teammate_id)
    transaction.on_commit(lambda: _publish(channel, [channel], f"teammate {int(teammate_id)}"))


def publish_on_commit(conversation_id: int) -> None:
    """Tell the watchers of this conversation (and the inbox) once the current
    transaction commits; at once outside one."""
    transaction.on_commit(lambda: publish(conversation_id))


_away_until = 0.0


def publish(conversation_id: int) -> bool:
    """Publish now; False (logged) when the fan-out is away."""
    return _publish(
        str(int(conversation_id)),
        [conversation_channel(conversation_id), INBOX],
        f"conversation {int(conversation_id)}",
    )


def _publish(message: str, stamp_channels: list[str], about: str) -> bool:
    """The Redis message, or the stamp files of these channels."""
    global _away_until
    if time.monotonic() < _away_until:
        return False
    try:
        if settings.LIVE_URL:
            _redis().publish(settings.LIVE_REDIS_CHANNEL, message)
        else:
            for channel in stamp_channels:
                _write_stamp(channel)
    except Exception as error:  # a live update is a courtesy: the change stands
        _away_until = time.monotonic() + BACK_OFF_SECONDS
        logger.warning(
            "Could not publish a live update for %s (%s).",
            about,
            without_url_credentials(f"{type(error).__name__}: {error}")[:300],
        )
        return False
    return True


# --- Redis -------------------------------------------------------------------------------

_sync_client = None


def _redis():
    global _sync_client
    if _sync_client is None:
        import redis

        _sync_client = redis.Redis.from_url(
            settings.LIVE_URL, socket_connect_timeout=1, socket_timeout=1
        )
    return _sync_client


# --- stamp files ---------------------------------------------------------------------------

_sequence = count()


def _stamp_dir() -> Path:
    return Path(settings.VAR_DIR) / "live"


def _write_stamp(channel: str) -> None:
    """A new, unique content for the channel's file, replaced atomically (a reader sees
    the old stamp or the new one, never half of one)."""
    folder = _stamp_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.time_ns()}-{os.getpid()}-{next(_sequence)}"
    temporary = folder / f".{channel}.{os.getpid()}.{stamp}"
    temporary.write_text(stamp)
    os.replace(temporary, folder / channel)


def _read_stamp(channel: str) -> str:
    try:
        return (_stamp_dir() / channel).read_text()
    except FileNotFoundError:
        return ""


# --- watching (the web process's side, async) ------------------------------------------------


class Hub:
    """This process's streams, by channel, fed by one background task: the Redis
    subscription, or the stamp reader. The task runs while any stream is open."""

    def __init__(self):
        self.queues: dict[str, set[asyncio.Queue]] = {}
        self.stamps: dict[str, str] = {}
        self.task: asyncio.Task | None = None
        # Set while the feed listens: a stream says "ready" only then, so a page that
        # refreshes on "ready" misses nothing published after its refresh.
        self.ready = asyncio.Event()

    def add(self, channel: str) -> asyncio.Queue:
        queue = asyncio.Queue()
        if channel not in self.queues:
            self.queues[channel] = set()
            self.stamps[channel] = "" if settings.LIVE_URL else _read_stamp(channel)
        self.queues[channel].add(queue)
        if self.task is None or self.task.done():
            feed = self.from_redis if settings.LIVE_URL else self.from_stamps
            if not settings.LIVE_URL:
                self.ready.set()  # the stamps were read above
            self.task = asyncio.get_running_loop().create_task(feed())
        return queue

    def remove(self, channel: str, queue: asyncio.Queue) -> None:
        queues = self.queues.get(channel, set())
        queues.discard(queue)
        if not queues:
            self.queues.pop(channel, None)
            self.stamps.pop(channel, None)
        if not self.queues and self.task is not None:
            self.task.cancel()
            self.task = None
            self.ready.clear()

    def deliver(self, channel: str, conversation_id: int) -> None:
        for queue in self.queues.get(channel, ()):
            queue.put_nowait(conversation_id)

    def deliver_all(self, conversation_id: int) -> None:
        for channel in list(self.queues):
            self.deliver(channel, conversation_id)

    async def from_stamps(self) -> None:
        while True:
            await asyncio.sleep(settings.LIVE_POLL_SECONDS)
            for channel in list(self.queues):
                stamp = _read_stamp(channel)
                if stamp != self.stamps.get(channel, stamp):
                    self.stamps[channel] = stamp
                    conversation_id = 0
                    if channel.startswith("conversation-"):
                        conversation_id = int(channel.removeprefix("conversation-"))
                    self.deliver(channel, conversation_id)

    async def from_redis(self) -> None:
        import redis.asyncio

        subscribed_before = False
        while True:
            client = redis.asyncio.Redis.from_url(settings.LIVE_URL, socket_connect_timeout=2)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(settings.LIVE_REDIS_CHANNEL)
                    if subscribed_before:  # what was published meanwhile is lost
                        self.deliver_all(RESYNC)
                    subscribed_before = True
                    self.ready.set()
                    async for message in pubsub.listen():
                        self.on_message(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.ready.clear()
                logger.warning(
                    "Live updates: the Redis subscription failed (%s); again in 1 s.",
                    without_url_credentials(f"{type(error).__name__}: {error}")[:300],
                )
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    def on_message(self, message) -> None:
        if message.get("type") != "message":
            return
        data = message["data"]
        text = data.decode(errors="replace") if isinstance(data, bytes) else str(data)
        if text.startswith(TEAMMATE_PREFIX):
            self.deliver(text, 0)
            return
        try:
            conversation_id = int(message["data"])
        except (TypeError, ValueError):
            return
        self.deliver(conversation_channel(conversation_id), conversation_id)
        self.deliver(INBOX, conversation_id)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """The running event loop's hub (one per loop: uvicorn has one; tests make many)."""
    loop = asyncio.get_running_loop()
    for other in [other for other in _hubs if other.is_closed()]:
        del _hubs[other]
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]


async def subscribe(channel: str) -> tuple[Hub, asyncio.Queue]:
    """An asyncio queue of the ids of conversations changed from now on (RESYNC when
    changes may have been missed). The caller ends it with `hub.remove(channel, queue)`
    (plain, not awaited: it also runs when a closed stream's generator is finalized)."""
    current = hub()
    queue = current.add(channel)
    # Redis away: the stream opens anyway after the wait, the page polls meanwhile.
    with suppress(TimeoutError):
        await asyncio.wait_for(current.ready.wait(), SUBSCRIBE_WAIT_SECONDS)
    return current, queue
