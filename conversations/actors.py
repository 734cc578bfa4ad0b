"""Who did something: the `acting=` argument of every service."""

from dataclasses import dataclass

from conversations.models import ActorType


@dataclass(frozen=True)
class Actor:
    type: str
    id: int | None = None
    name: str = ""
    # For workflows: how many workflow-caused events led to this change (DESIGN.md §6.7).
    depth: int = 0
    # A teammate running a saved macro: its name, recorded on the parts and events.
    macro: str = ""

    @classmethod
    def contact(cls, contact) -> "Actor":
        return cls(ActorType.CONTACT, contact.pk, str(contact))

    @classmethod
    def teammate(cls, teammate, *, macro: str = "") -> "Actor":
        return cls(ActorType.TEAMMATE, teammate.pk, teammate.display_name, macro=macro)

    @classmethod
    def workflow(cls, workflow_id: int, name: str, depth: int = 1) -> "Actor":
        return cls(ActorType.WORKFLOW, workflow_id, name, depth)

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorType.SYSTEM, None, "System")
