"""Persistence port for inspections (implemented in store/)."""

from __future__ import annotations

from typing import Protocol

from inspection.model import Inspection


class InspectionRepository(Protocol):
    async def add(self, inspection: Inspection) -> Inspection:
        """Store a new inspection; returns it with its id, created_at and version set."""
        ...

    async def get(self, inspection_id: int) -> Inspection:
        """Raises NotFound when there is no such inspection."""
        ...

    async def list_all(self, *, include_closed: bool = False) -> list[Inspection]: ...

    async def for_member(self, aad_object_id: str) -> list[Inspection]:
        """Open inspections in which this person holds any role."""
        ...

    async def by_channel(self, channel_id: str) -> Inspection | None: ...

    async def update(self, inspection: Inspection) -> Inspection:
        """Save changes; raises Conflict if someone saved a newer version first."""
        ...
