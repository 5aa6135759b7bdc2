"""Tracking a channel's files with a drive delta query.

Graph's delta on SharePoint works from the drive root, and a standard channel shares the
team's library with every other channel, so results are kept only when they sit under the
channel's folder (ancestry by item id and parent id: delta gives no paths). The first sync
enumerates; later ones fetch only changes; a 410 (token expired) re-enumerates and reconciles
against what was known, so unchanged files are not reported again. The delta link and items
are stored together in one transaction once every page has been read: a failure part-way
records nothing, and the next sync repeats from the last complete one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from msgraph.graph_service_client import GraphServiceClient

from graph.client import get_json
from graph.errors import ErrorPolicy, status_of
from graph.times import parse_time
from inspection.clock import Clock
from inspection.errors import ConfigurationError, InspectionError
from inspection.model import Channel
from inspection.workspace import ChangeKind, DriveFile, FileChange, SyncResult
from store.files import DeltaState, SqlFileStore, TrackedItem

log = logging.getLogger(__name__)

MAX_RESYNCS = 2


def tracked_from_json(item: dict[str, Any]) -> TrackedItem:
    """A driveItem as Graph sends it (JSON), for bulk reads."""
    parent = item.get("parentReference") or {}
    by = (item.get("lastModifiedBy") or {}).get("user") or {}
    file = item.get("file")
    size = item.get("size")
    return TrackedItem(
        item_id=str(item["id"]),
        parent_id=parent.get("id"),
        name=str(item.get("name") or ""),
        is_folder="folder" in item,
        size=int(size) if isinstance(size, (int, float)) else None,
        mime_type=file.get("mimeType") if isinstance(file, dict) else None,
        web_url=item.get("webUrl"),
        content_tag=item.get("cTag") or item.get("eTag"),
        last_modified=parse_time(item.get("lastModifiedDateTime")),
        modified_by=by.get("displayName"),
        modified_by_id=by.get("id"),
    )


def to_drive_file(item: dict[str, Any], drive_id: str, *, path: str) -> DriveFile:
    return _file(tracked_from_json(item), drive_id, path)


def _file(item: TrackedItem, drive_id: str | None, path: str) -> DriveFile:
    return DriveFile(**_file_fields(item, drive_id, path))


def _file_fields(item: TrackedItem, drive_id: str | None, path: str) -> dict[str, Any]:
    """What a DriveFile (and a FileChange) says about a tracked item at `path`."""
    return {
        "item_id": item.item_id,
        "name": item.name,
        "folder": path.split("/", 1)[0] if "/" in path else "",
        "path": path,
        "size": item.size,
        "mime_type": item.mime_type,
        "web_url": item.web_url,
        "last_modified": item.last_modified,
        "modified_by": item.modified_by,
        "modified_by_id": item.modified_by_id,
        "drive_id": drive_id,
    }


class _Paths:
    """Paths relative to the channel folder, resolved through parent ids (memoised)."""

    def __init__(self, items: dict[str, TrackedItem], root_id: str) -> None:
        self._items = items
        self._root = root_id
        self._memo: dict[str, str | None] = {root_id: ""}

    def of(self, item_id: str) -> str | None:
        """None when the item is not under the channel folder."""
        if item_id in self._memo:
            return self._memo[item_id]
        chain: list[str] = []
        seen: set[str] = set()
        current: str | None = item_id
        base: str | None = None
        while current is not None:
            if current in self._memo:
                base = self._memo[current]
                break
            item = self._items.get(current)
            if item is None or current in seen or len(chain) > 500:
                base = None  # unknown ancestor or a cycle: not under the channel folder
                break
            chain.append(current)
            seen.add(current)
            current = item.parent_id
        for node in reversed(chain):
            if base is not None:
                name = self._items[node].name
                base = f"{base}/{name}" if base else name
            self._memo[node] = base
        return self._memo.get(item_id)


@dataclass
class _Fetched:
    items: list[dict[str, Any]]
    delta_link: str
    pages: int
    full: bool
    resynced: bool


class DeltaSync:
    def __init__(
        self, client: GraphServiceClient, store: SqlFileStore, errors: ErrorPolicy, clock: Clock
    ) -> None:
        self._client = client
        self._store = store
        self._errors = errors
        self._clock = clock
        self._locks: dict[int, asyncio.Lock] = {}

    async def sync(self, inspection_id: int, channel: Channel) -> SyncResult:
        if not channel.drive_id or not channel.folder_id:
            raise ConfigurationError(
                "this inspection's channel has no files folder recorded yet; run the channel "
                "setup first"
            )
        # One sync at a time per inspection in this process (notifications may overlap polls).
        lock = self._locks.setdefault(inspection_id, asyncio.Lock())
        async with lock:
            return await self._sync(inspection_id, channel.drive_id, channel.folder_id)

    async def _sync(self, inspection_id: int, drive_id: str, folder_id: str) -> SyncResult:
        state = await self._store.delta_state(inspection_id)
        usable = state is not None and state.drive_id == drive_id and state.folder_id == folder_id
        start_link = state.delta_link if usable and state else None
        fetched = await self._fetch(drive_id, start_link)
        now = self._clock.now()
        full = fetched.full
        new_state = DeltaState(
            drive_id,
            folder_id,
            fetched.delta_link,
            now,
            now if full or state is None else state.full_synced_at,
        )
        expected = state.delta_link if state else None
        if not fetched.items and not full:
            await self._store.save_sync(
                inspection_id, new_state, expected_link=expected, upserts=(), removed=()
            )
            return SyncResult(inspection_id, (), pages=fetched.pages, synced_at=now)
        if state is None:
            old: dict[str, TrackedItem] = {}
        elif full:
            old = await self._store.items(inspection_id)  # what is gone is what is not listed
        else:
            # Only what the changes touch: a few changed files cost a few rows, not the channel.
            old = await self._known_around(inspection_id, fetched.items, folder_id)
        changes, upserts, removed, current = reconcile(
            old, fetched.items, folder_id, drive_id, full=full
        )
        if not full:
            # A folder moved in from elsewhere arrives alone: delta does not repeat its
            # contents, so read them (and reconcile again with them).
            extra = await self._moved_in_contents(drive_id, fetched.items, old, current)
            if extra:
                changes, upserts, removed, current = reconcile(
                    old, [*fetched.items, *extra], folder_id, drive_id, full=False
                )
        saved = await self._store.save_sync(
            inspection_id,
            new_state,
            expected_link=expected,
            # A full enumeration replaces every row; otherwise only what changed is written.
            upserts=list(current.values()) if full else upserts,
            removed=removed,
            replace_all=full,
        )
        if not saved:
            log.info("inspection %s: another sync recorded these changes first", inspection_id)
            changes = ()
        return SyncResult(
            inspection_id,
            changes,
            full_sync=full,
            resynced=fetched.resynced,
            files_tracked=(
                sum(1 for item in current.values() if not item.is_folder)
                if full
                else await self._store.file_count(inspection_id)
            ),
            pages=fetched.pages,
            synced_at=now,
        )

    async def _known_around(
        self, inspection_id: int, batch: list[dict[str, Any]], folder_id: str
    ) -> dict[str, TrackedItem]:
        """The stored items reconciling `batch` needs: those it touches, their ancestors up to
        the channel folder (for paths, old and new), and everything stored under a touched
        folder (renaming, moving or deleting a folder changes its contents' paths)."""
        touched = {str(entry["id"]) for entry in batch}
        known = await self._store.items_with(inspection_id, touched)
        parents = {item.parent_id for item in known.values()}
        parents |= {tracked_from_json(entry).parent_id for entry in batch if "deleted" not in entry}
        while True:
            wanted = {p for p in parents if p and p != folder_id and p not in known}
            if not wanted:
                break
            found = await self._store.items_with(inspection_id, wanted)
            if not found:
                break
            known.update(found)
            parents = {item.parent_id for item in found.values()}
        folders = [i for i in touched if i in known and known[i].is_folder]
        while folders:
            inside = await self._store.children_of(inspection_id, folders)
            new = {key: item for key, item in inside.items() if key not in known}
            known.update(new)
            folders = [key for key, item in new.items() if item.is_folder]
        return known

    async def _fetch(self, drive_id: str, link: str | None) -> _Fetched:
        builder = self._client.drives.by_drive_id(drive_id).items.by_drive_item_id("root").delta
        start = link
        resyncs = 0
        resynced = False
        while True:
            items: list[dict[str, Any]] = []
            pages = 0
            try:
                async with self._errors.guard("reading the channel's files"):
                    page = await get_json(self._client, builder, link)
                    while True:
                        pages += 1
                        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                            raise InspectionError("Microsoft Graph returned an unreadable page")
                        items.extend(v for v in page["value"] if isinstance(v, dict) and "id" in v)
                        next_link = page.get("@odata.nextLink")
                        if next_link:
                            page = await get_json(self._client, builder, next_link)
                            continue
                        delta_link = page.get("@odata.deltaLink")
                        if not delta_link:
                            raise InspectionError("the delta query ended without a delta link")
                        full = start is None or resynced
                        return _Fetched(items, delta_link, pages, full, resynced)
            except Exception as exc:
                cause = exc.__cause__ if exc.__cause__ is not None else exc
                if status_of(cause) != 410 or resyncs >= MAX_RESYNCS:
                    raise
                # 410 Gone: the change token expired. Start over from the Location Graph gives
                # (or a fresh enumeration) and reconcile with what is stored.
                resyncs += 1
                resynced = True
                headers = getattr(cause, "response_headers", None) or {}
                link = _header(headers, "location")
                log.info("delta token expired for drive %s; resyncing", drive_id)
                if link is not None and "token=" in link:
                    link = None  # a Location carrying a token is not a full enumeration
                if link is None:
                    continue

    async def _moved_in_contents(
        self,
        drive_id: str,
        batch: list[dict[str, Any]],
        old: dict[str, TrackedItem],
        current: dict[str, TrackedItem],
    ) -> list[dict[str, Any]]:
        known_parents = {item.parent_id for item in current.values()}
        pending = [
            str(entry["id"])
            for entry in batch
            if isinstance(entry.get("folder"), dict)
            and "deleted" not in entry
            and str(entry["id"]) in current
            and str(entry["id"]) not in old
            and (entry["folder"].get("childCount") or 0) > 0
            and str(entry["id"]) not in known_parents
        ]
        found: list[dict[str, Any]] = []
        items = self._client.drives.by_drive_id(drive_id).items
        async with self._errors.guard("reading a folder moved into the channel"):
            while pending:
                builder = items.by_drive_item_id(pending.pop()).children
                page = await get_json(self._client, builder)
                while isinstance(page, dict):
                    for child in page.get("value") or []:
                        if isinstance(child, dict) and "id" in child:
                            found.append(child)
                            if "folder" in child:
                                pending.append(str(child["id"]))
                    next_link = page.get("@odata.nextLink")
                    if not next_link:
                        break
                    page = await get_json(self._client, builder, next_link)
        return found

    async def files(self, inspection_id: int) -> tuple[DriveFile, ...]:
        state = await self._store.delta_state(inspection_id)
        if state is None:
            return ()
        items = await self._store.items(inspection_id)
        paths = _Paths(items, state.folder_id)
        found: list[DriveFile] = []
        for item in items.values():
            path = paths.of(item.item_id)
            if not item.is_folder and path:
                found.append(_file(item, state.drive_id, path))
        return tuple(sorted(found, key=lambda f: f.path.lower()))


def _header(headers: Any, name: str) -> str | None:
    try:
        value = headers.get(name) or headers.get(name.title())
    except AttributeError:
        return None
    if isinstance(value, (list, tuple, set)):
        value = next(iter(value), None)
    return str(value) if value else None


def reconcile(
    old: dict[str, TrackedItem],
    batch: Iterable[dict[str, Any]],
    folder_id: str,
    drive_id: str,
    *,
    full: bool,
) -> tuple[tuple[FileChange, ...], list[TrackedItem], list[str], dict[str, TrackedItem]]:
    """Apply a delta batch to what was known; returns changes, rows to write, ids to drop, and
    the new set of items under the channel folder."""
    state: dict[str, TrackedItem] = {} if full else dict(old)
    touched: set[str] = set()
    for entry in batch:
        entry_id = str(entry["id"])
        if "root" in entry or entry_id == folder_id:
            continue
        touched.add(entry_id)
        if "deleted" in entry:
            state.pop(entry_id, None)
        else:
            state[entry_id] = tracked_from_json(entry)
    new_paths = _Paths(state, folder_id)
    current = {i: t for i, t in state.items() if new_paths.of(i) is not None}
    old_paths = _Paths(old, folder_id)
    changes: list[FileChange] = []
    for item_id, item in current.items():
        if item.is_folder:
            continue
        path = new_paths.of(item_id) or item.name
        before = old.get(item_id)
        before_path = old_paths.of(item_id) if before is not None else None
        if before is None or before_path is None:
            changes.append(_change(item, drive_id, path, ChangeKind.ADDED))
        elif before_path != path:
            changes.append(_change(item, drive_id, path, ChangeKind.MOVED, before_path))
        elif item_id in touched and _content_changed(before, item):
            changes.append(_change(item, drive_id, path, ChangeKind.MODIFIED))
    for item_id, item in old.items():
        if item_id in current or item.is_folder:
            continue
        gone_path = old_paths.of(item_id)
        if gone_path is not None:
            changes.append(_change(item, drive_id, gone_path, ChangeKind.DELETED))
    upserts = [item for item_id, item in current.items() if old.get(item_id) != item]
    removed = [item_id for item_id in old if item_id not in current]
    changes.sort(key=lambda c: (c.path.lower(), c.kind.value))
    return tuple(changes), upserts, removed, current


def _content_changed(before: TrackedItem, after: TrackedItem) -> bool:
    if before.content_tag and after.content_tag:
        return before.content_tag != after.content_tag
    return (before.size, before.last_modified) != (after.size, after.last_modified)


def _change(
    item: TrackedItem,
    drive_id: str,
    path: str,
    kind: ChangeKind,
    previous: str | None = None,
) -> FileChange:
    return FileChange(**_file_fields(item, drive_id, path), kind=kind, previous_path=previous)
