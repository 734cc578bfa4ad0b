class DefinitionError(Exception):
    """A workflow document that cannot be used; `errors` maps each place to its messages.

    Places read like the document: ``steps[2].team``, ``audience.rules[0].operator``.
    """

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{place}: {' '.join(msgs)}" for place, msgs in errors.items()))


class ErrorCollector:
    """Gathers every error of a document instead of stopping at the first."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, place: str, message: str) -> None:
        self.errors.setdefault(place, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise DefinitionError(self.errors)
