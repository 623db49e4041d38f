"""Progress reporting: the library announces, the CLI renders (rich), tests record."""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, n: int) -> None: ...

    def note(self, message: str) -> None: ...


class NullObserver:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def note(self, message: str) -> None:
        pass


class RecordingObserver:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def stage(self, name: str, total: int | None = None) -> None:
        self.events.append(("stage", (name, total)))

    def advance(self, n: int) -> None:
        self.events.append(("advance", n))

    def note(self, message: str) -> None:
        self.events.append(("note", message))
