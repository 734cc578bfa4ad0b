"""Engine and floor in one process, interleaved chunk by chunk on twin conversations."""

import re
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction

from conversations import services as conversation_services
from conversations.models import Conversation, Event
from workflows.bench import floor as floor_module
from workflows.bench.workload import MESSAGES, delete_conversations, new_contacts
from workflows.processing import process_conversation_events

try:
    from conversations.models import OfficeHours

    CLOCKED_TABLE = OfficeHours._meta.db_table
except ImportError:  # pragma: no cover - depends on the version
    CLOCKED_TABLE = None

BURST = 20  # messages per conversation committed at once in the burst mode


def query_kind(sql: str) -> str:
    """SELECT/INSERT/UPDATE/DELETE/WITH and the first table it names."""
    text = sql.lstrip()
    if text.startswith("/*"):  # a statement that names itself (the floor's)
        return text[2 : text.index("*/")].strip()
    verb = text.split(None, 1)[0].upper() if text else "?"
    match = re.search(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', text, re.IGNORECASE)
    kind = f"{verb} {match.group(1)}" if match else verb
    if "FOR UPDATE" in text.upper():
        kind += " FOR UPDATE"
    return kind


class QueryCounter:
    """A database execute wrapper: counts every statement sent, by kind."""

    def __init__(self):
        self.kinds = Counter()

    @property
    def count(self) -> int:
        return self.kinds.total()

    def __call__(self, execute, sql, params, many, context):
        self.kinds[query_kind(sql)] += 1
        return execute(sql, params, many, context)


@dataclass
class Side:
    events: int = 0
    seconds: float = 0.0
    queries: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def queries_per_event(self) -> float:
        return self.queries.total() / self.events if self.events else 0.0

    def steady_queries_per_event(self) -> float:
        """Without the statements the clock causes, not the work: the refresh of a cache
        with a time-to-live (the office hours', every few seconds per process)."""
        clocked = [kind for kind in self.queries if CLOCKED_TABLE and CLOCKED_TABLE in kind]
        total = self.queries.total() - sum(self.queries[kind] for kind in clocked)
        return total / self.events if self.events else 0.0

    @property
    def ms_per_event(self) -> float:
        return 1000 * self.seconds / self.events if self.events else 0.0


@dataclass
class Measurement:
    size: int
    mode: str  # "single" or "burst"
    engine: Side
    floor: Side
    chunks: int
    same_rows: bool

    @property
    def ratio(self) -> float:
        return self.engine.ms_per_event / self.floor.ms_per_event if self.floor.events else 0.0


def _timed(side: Side, action) -> int:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        handled = action()
        side.seconds += time.perf_counter() - started
    side.queries.update(counter.kinds)
    return handled


def _engine_events(plans) -> int:
    """What the engine handled, from the database (whatever its call returns): the events
    that were pending and the events its changes wrote; none may be left pending."""
    left = sum(len(found) for found in floor_module.pending_events(list(plans)).values())
    if left:
        raise RuntimeError(f"the engine left {left} events unprocessed")
    return sum(len(plan.pending) + plan.new_rows(Event) for plan in plans.values())


def open_conversations(count: int, contact_start: int) -> list[int]:
    contacts = new_contacts(count, contact_start)
    ids = [conversation_services.conversation_open(contact=c).pk for c in contacts]
    for conversation_id in ids:  # the opening events, untimed (also compiles the catalog)
        process_conversation_events(conversation_id)
    return ids


def write_messages(conversation_ids, numbers, *, at_once: bool) -> None:
    """Customer messages through the services: one transaction each, or all of a
    conversation's in one transaction (a burst)."""
    for conversation_id in conversation_ids:
        if at_once:
            with transaction.atomic():
                conversation = conversation_services.conversation_lock(conversation_id)
                for number in numbers:
                    conversation_services.conversation_customer_message(
                        conversation=conversation, body=MESSAGES[number % len(MESSAGES)]
                    )
        else:
            for number in numbers:
                conversation_services.conversation_customer_message(
                    conversation=conversation_id, body=MESSAGES[number % len(MESSAGES)]
                )


def warm_up(contact_start: int) -> None:
    """One conversation through every message, untimed: tags exist, the catalog is warm."""
    [conversation_id] = open_conversations(1, contact_start)
    write_messages([conversation_id], range(len(MESSAGES)), at_once=False)
    process_conversation_events(conversation_id)
    delete_conversations([conversation_id])


def table_counts(conversation_ids) -> list:
    """Per tracked table (and tag links): the rows of each conversation, in order."""
    found = []
    for model in [*floor_module.tracked_tables(), Conversation.tags.through]:
        by_conversation = Counter(
            model.objects.filter(conversation_id__in=conversation_ids).values_list(
                "conversation_id", flat=True
            )
        )
        found.append([by_conversation[pk] for pk in conversation_ids])
    return found


def measure(
    *,
    floor: floor_module.Floor,
    size: int,
    mode: str,
    pairs: int,
    messages: int,
    chunk: int,
    contact_start: int,
) -> Measurement:
    """`pairs` conversations for the engine and as many twins for the floor; each chunk of
    `chunk` conversations gets its messages, then the engine processes its half (timed),
    then the floor its twins (timed), and so on: load on the machine hits both alike."""
    engine_ids = open_conversations(pairs, contact_start)
    floor_ids = open_conversations(pairs, contact_start + pairs)
    engine, floor_side = Side(), Side()
    chunks = 0
    if mode == "single":
        rounds = [([number], False) for number in range(messages)]
    else:
        rounds = [(list(range(BURST)), True)]
    try:
        for numbers, at_once in rounds:
            for start in range(0, pairs, chunk):
                mine = engine_ids[start : start + chunk]
                twins = floor_ids[start : start + chunk]
                write_messages(mine + twins, numbers, at_once=at_once)
                pending = floor_module.pending_events(mine)
                before = floor_module.conversation_rows(mine)
                since = floor_module.marks()
                _timed(engine, lambda mine=mine: [process_conversation_events(c) for c in mine])
                plans = floor_module.build_plans(mine, pending=pending, since=since, before=before)
                engine.events += _engine_events(plans)
                floor_side.events += _timed(
                    floor_side,
                    lambda mine=mine, twins=twins, plans=plans: sum(
                        floor.process(twin, plans[own])
                        for own, twin in zip(mine, twins, strict=True)
                    ),
                )
                chunks += 1
        same_rows = table_counts(engine_ids) == table_counts(floor_ids)
    finally:
        delete_conversations(engine_ids + floor_ids)
    return Measurement(size, mode, engine, floor_side, chunks, same_rows)
