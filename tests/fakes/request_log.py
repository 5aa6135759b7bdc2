"""In-memory doubles for the request log: `FakeRequestRepository`, `FakeInspectionRepository`,
`FakeWorkspace` (upload only)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from inspection.errors import Conflict, NotFound
from inspection.model import Channel, Inspection
from inspection.requests import (
    InformationRequest,
    NewRequest,
    RequestQuery,
    format_ref,
    matches,
)
from inspection.workspace import DriveFile


class FakeInspectionRepository:
    def __init__(self, *inspections: Inspection) -> None:
        self._by_id: dict[int, Inspection] = {}
        for inspection in inspections:
            self._by_id[inspection.id or len(self._by_id) + 1] = inspection

    async def add(self, inspection: Inspection) -> Inspection:
        stored = replace(inspection, id=len(self._by_id) + 1, version=1)
        self._by_id[stored.id or 0] = stored
        return stored

    async def get(self, inspection_id: int) -> Inspection:
        try:
            return self._by_id[inspection_id]
        except KeyError:
            raise NotFound(f"there is no inspection {inspection_id}") from None

    async def list_all(self, *, include_closed: bool = False) -> list[Inspection]:
        return list(self._by_id.values())

    async def for_member(self, aad_object_id: str) -> list[Inspection]:
        return [i for i in self._by_id.values() if i.role_of(aad_object_id)]

    async def by_channel(self, channel_id: str) -> Inspection | None:
        for inspection in self._by_id.values():
            if inspection.channel and inspection.channel.channel_id == channel_id:
                return inspection
        return None

    async def update(self, inspection: Inspection) -> Inspection:
        stored = replace(inspection, version=inspection.version + 1)
        self._by_id[inspection.id or 0] = stored
        return stored


class FakeRequestRepository:
    """Keeps requests in a dict; versions and ids behave as the SQL store's do."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, int], InformationRequest] = {}
        self._counters: dict[int, int] = {}
        self._ids = 0
        self.updates = 0
        # Set to make the next N updates fail as if someone else saved first.
        self.fail_next_updates = 0

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    async def add(self, request: NewRequest) -> InformationRequest:
        number = self._counters.get(request.inspection_id, 0) + 1
        self._counters[request.inspection_id] = number
        stored = InformationRequest(
            inspection_id=request.inspection_id,
            number=number,
            text=request.text,
            asked_by=request.asked_by,
            asked_at=request.asked_at,
            due_on=request.due_on,
            assignee=request.assignee,
            priority=request.priority,
            child_refs=request.child_refs,
            theme=request.theme,
            source=request.source,
            history=tuple(replace(h, id=self._next_id()) for h in request.history),
            updated_at=request.asked_at,
            id=self._next_id(),
            version=1,
        )
        self.rows[(request.inspection_id, number)] = stored
        return stored

    async def get(self, inspection_id: int, number: int) -> InformationRequest:
        try:
            return self.rows[(inspection_id, number)]
        except KeyError:
            raise NotFound(f"there is no {format_ref(number)} in this inspection") from None

    async def find(self, inspection_id: int, query: RequestQuery) -> list[InformationRequest]:
        found = sorted(
            (r for (i, _), r in self.rows.items() if i == inspection_id and matches(r, query)),
            key=lambda r: r.number,
        )
        return found[: query.limit] if query.limit is not None else found

    async def update(self, request: InformationRequest) -> InformationRequest:
        key = (request.inspection_id, request.number)
        current = self.rows.get(key)
        if current is None:
            raise NotFound(f"{request.ref} no longer exists")
        if self.fail_next_updates:
            self.fail_next_updates -= 1
            # Someone else saved a version in between.
            self.rows[key] = replace(current, version=current.version + 1)
            raise Conflict(f"someone else changed {request.ref} a moment ago")
        if current.version != request.version:
            raise Conflict(f"someone else changed {request.ref} a moment ago")

        def ids(items: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(
                item if item.id is not None else replace(item, id=self._next_id()) for item in items
            )

        stored = replace(
            request,
            answers=ids(request.answers),
            follow_ups=ids(request.follow_ups),
            notes=ids(request.notes),
            history=ids(request.history),
            version=request.version + 1,
        )
        self.rows[key] = stored
        self.updates += 1
        return stored


class FakeWorkspace:
    """Records uploads; `fail` makes the next upload raise it."""

    def __init__(self) -> None:
        self.uploads: list[tuple[Channel, str, str, bytes, str]] = []
        self.fail: Exception | None = None

    async def upload(
        self,
        channel: Channel,
        folder: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "application/octet-stream",
    ) -> DriveFile:
        if self.fail is not None:
            error, self.fail = self.fail, None
            raise error
        self.uploads.append((channel, folder, name, content, content_type))
        return DriveFile(
            item_id=f"item-{len(self.uploads)}",
            name=name,
            folder=folder,
            path=f"{folder}/{name}",
            size=len(content),
            web_url=f"https://files.example/{folder}/{name}",
            last_modified=datetime.now(UTC),
        )
