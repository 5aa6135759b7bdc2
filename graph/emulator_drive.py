"""A document library kept in a local folder, with the change tracking Graph's delta needs.

Used by the Graph emulator: a person (or a test) drops files into the folder, or the bot
writes through the API; `scan()` notices what changed on disk and gives each change a sequence
number, which is what delta tokens count. Moves made through the API keep the item's id, as in
SharePoint; a rename done on disk looks like delete + add, as it would after a re-upload.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


class DriveError(Exception):
    """A request the drive refuses: `status` and `code` become Graph's ODataError."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Person:
    id: str
    display_name: str


LOCAL_PERSON = Person("00000000-0000-4000-8000-00000000d20b", "Files dropped locally")


@dataclass
class Item:
    id: str
    name: str
    parent_id: str | None
    is_folder: bool
    seq: int
    created: datetime
    modified: datetime
    size: int = 0
    mtime_ns: int = 0
    version: int = 1
    content_version: int = 1
    deleted: bool = False
    modified_by: Person = LOCAL_PERSON
    children: set[str] = field(default_factory=set)


def _now() -> datetime:
    return datetime.now(UTC)


class EmulatedDrive:
    """One drive (document library) stored under `folder`; its root is that folder."""

    def __init__(self, drive_id: str, folder: Path, *, name: str = "Documents") -> None:
        self.drive_id = drive_id
        self.folder = folder
        self.name = name
        folder.mkdir(parents=True, exist_ok=True)
        self.seq = 0
        self.root_id = self._new_id("")
        now = _now()
        self.items: dict[str, Item] = {
            self.root_id: Item(self.root_id, "root", None, True, 0, now, now)
        }
        self._by_path: dict[str, str] = {"": self.root_id}
        self.scan()

    # -- identity and paths ----------------------------------------------------------------
    def _new_id(self, rel: str) -> str:
        base = hashlib.sha1(f"{self.drive_id}/{rel}".encode(), usedforsecurity=False)
        candidate = "01" + base.hexdigest()[:30].upper()
        suffix = 0
        while hasattr(self, "items") and candidate in self.items:
            suffix += 1
            candidate = "01" + base.hexdigest()[:26].upper() + f"{suffix:04d}"
        return candidate

    def resolve(self, item_id: str) -> Item:
        if item_id == "root":
            item_id = self.root_id
        item = self.items.get(item_id)
        if item is None or item.deleted:
            raise DriveError(404, "itemNotFound", f"The resource could not be found: {item_id}")
        return item

    def rel_path(self, item: Item) -> str:
        parts: list[str] = []
        current: Item | None = item
        while current is not None and current.parent_id is not None:
            parts.append(current.name)
            current = self.items.get(current.parent_id)
        return "/".join(reversed(parts))

    def disk_path(self, item: Item) -> Path:
        rel = self.rel_path(item)
        return self.folder / rel if rel else self.folder

    def depth(self, item: Item) -> int:
        depth = 0
        current = item
        while current.parent_id is not None and depth < 1000:
            depth += 1
            parent = self.items.get(current.parent_id)
            if parent is None:
                break
            current = parent
        return depth

    def is_under(self, item: Item, ancestor_id: str) -> bool:
        current: Item | None = item
        hops = 0
        while current is not None and hops < 1000:
            if current.id == ancestor_id:
                return True
            current = self.items.get(current.parent_id) if current.parent_id else None
            hops += 1
        return False

    # -- change tracking -------------------------------------------------------------------
    def _bump(self, item: Item) -> None:
        self.seq += 1
        item.seq = self.seq

    def _add(
        self,
        rel: str,
        parent: Item,
        name: str,
        *,
        is_folder: bool,
        stat: os.stat_result,
        by: Person,
    ) -> Item:
        moment = datetime.fromtimestamp(stat.st_mtime, UTC)
        item = Item(
            self._new_id(rel),
            name,
            parent.id,
            is_folder,
            0,
            moment,
            moment,
            size=0 if is_folder else stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            modified_by=by,
        )
        self.items[item.id] = item
        parent.children.add(item.id)
        self._by_path[rel] = item.id
        self._bump(item)
        return item

    def _remove(self, item: Item) -> None:
        """Tombstone an item and everything under it (a delta reports each as deleted)."""
        for child_id in list(item.children):
            child = self.items.get(child_id)
            if child is not None and not child.deleted:
                self._remove(child)
        rel = self.rel_path(item)
        self._by_path.pop(rel, None)
        item.deleted = True
        item.modified = _now()
        self._bump(item)

    def scan(self) -> int:
        """Bring the index in line with the folder on disk; returns how many items changed."""
        before = self.seq
        seen: set[str] = {""}
        for dirpath, dirnames, filenames in os.walk(self.folder):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, self.folder)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
            parent_id = self._by_path.get(rel_dir)
            if parent_id is None:
                continue
            parent = self.items[parent_id]
            for name, is_folder in [(d, True) for d in dirnames] + [(f, False) for f in filenames]:
                if name.startswith(".") or name.endswith(".tmp"):
                    continue
                rel = f"{rel_dir}/{name}" if rel_dir else name
                try:
                    stat = os.stat(os.path.join(dirpath, name))
                except FileNotFoundError:
                    continue
                seen.add(rel)
                existing_id = self._by_path.get(rel)
                existing = self.items.get(existing_id) if existing_id else None
                if existing is not None and existing.is_folder != is_folder:
                    self._remove(existing)
                    existing = None
                if existing is None:
                    self._add(rel, parent, name, is_folder=is_folder, stat=stat, by=LOCAL_PERSON)
                elif not is_folder and (existing.size, existing.mtime_ns) != (
                    stat.st_size,
                    stat.st_mtime_ns,
                ):
                    existing.size = stat.st_size
                    existing.mtime_ns = stat.st_mtime_ns
                    existing.modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                    existing.version += 1
                    existing.content_version += 1
                    existing.modified_by = LOCAL_PERSON
                    self._bump(existing)
        for rel in sorted(set(self._by_path) - seen, key=len):
            item_id = self._by_path.get(rel)
            if item_id is not None:
                self._remove(self.items[item_id])
        return self.seq - before

    # -- operations the API offers ----------------------------------------------------------
    def children_of(self, item_id: str) -> list[Item]:
        parent = self.resolve(item_id)
        live = [self.items[c] for c in parent.children if not self.items[c].deleted]
        return sorted(live, key=lambda item: (not item.is_folder, item.name.lower()))

    def _child_named(self, parent: Item, name: str) -> Item | None:
        for child_id in parent.children:
            child = self.items[child_id]
            if not child.deleted and child.name.lower() == name.lower():
                return child
        return None

    def _free_name(self, parent: Item, name: str) -> str:
        stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
        number = 1
        candidate = name
        while self._child_named(parent, candidate) is not None:
            candidate = f"{stem} {number}{dot}{ext}" if dot else f"{name} {number}"
            number += 1
        return candidate

    @staticmethod
    def check_name(name: str) -> None:
        if (
            not name
            or name.strip() != name
            or name.endswith(".")
            or any(ch in name for ch in '"*:<>?/\\|')
        ):
            raise DriveError(400, "invalidRequest", f"The name {name!r} is not a valid file name.")

    def create_folder(
        self, parent_id: str, name: str, conflict: str = "fail", by: Person = LOCAL_PERSON
    ) -> Item:
        parent = self.resolve(parent_id)
        if not parent.is_folder:
            raise DriveError(400, "invalidRequest", "The parent is not a folder.")
        self.check_name(name)
        clash = self._child_named(parent, name)
        if clash is not None:
            if conflict == "fail":
                raise DriveError(
                    409, "nameAlreadyExists", "The specified item name already exists."
                )
            if conflict == "rename":
                name = self._free_name(parent, name)
            elif clash.is_folder:
                return clash
            else:
                self.delete(clash.id)
        path = self.disk_path(parent) / name
        path.mkdir(parents=True, exist_ok=True)
        rel = f"{self.rel_path(parent)}/{name}".lstrip("/")
        return self._add(rel, parent, name, is_folder=True, stat=path.stat(), by=by)

    def write_file(
        self, parent_id: str, name: str, content: bytes, by: Person = LOCAL_PERSON
    ) -> Item:
        parent = self.resolve(parent_id)
        if not parent.is_folder:
            raise DriveError(400, "invalidRequest", "The parent is not a folder.")
        self.check_name(name)
        existing = self._child_named(parent, name)
        if existing is not None and existing.is_folder:
            raise DriveError(409, "nameAlreadyExists", "A folder with that name already exists.")
        path = self.disk_path(parent) / (existing.name if existing else name)
        temp = path.with_name(f".{path.name}.upload.tmp")
        temp.write_bytes(content)
        temp.replace(path)
        stat = path.stat()
        if existing is None:
            rel = f"{self.rel_path(parent)}/{name}".lstrip("/")
            return self._add(rel, parent, name, is_folder=False, stat=stat, by=by)
        existing.size = stat.st_size
        existing.mtime_ns = stat.st_mtime_ns
        existing.modified = _now()
        existing.version += 1
        existing.content_version += 1
        existing.modified_by = by
        self._bump(existing)
        return existing

    def read_file(self, item_id: str) -> bytes:
        item = self.resolve(item_id)
        if item.is_folder:
            raise DriveError(400, "invalidRequest", "A folder has no content to download.")
        try:
            return self.disk_path(item).read_bytes()
        except FileNotFoundError:
            self.scan()
            raise DriveError(404, "itemNotFound", "The file has gone.") from None

    def delete(self, item_id: str) -> None:
        item = self.resolve(item_id)
        if item.parent_id is None:
            raise DriveError(403, "accessDenied", "The root folder cannot be deleted.")
        path = self.disk_path(item)
        if item.is_folder:
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        self._remove(item)

    def move(
        self,
        item_id: str,
        new_parent_id: str | None = None,
        new_name: str | None = None,
        by: Person = LOCAL_PERSON,
    ) -> Item:
        """Move and/or rename, keeping the id (SharePoint does; a delta reports the new place)."""
        item = self.resolve(item_id)
        parent = self.resolve(new_parent_id or item.parent_id or self.root_id)
        name = new_name or item.name
        self.check_name(name)
        if self.is_under(parent, item.id):
            raise DriveError(400, "invalidRequest", "A folder cannot move into itself.")
        clash = self._child_named(parent, name)
        if clash is not None and clash.id != item.id:
            raise DriveError(409, "nameAlreadyExists", "The specified item name already exists.")
        old_rel = self.rel_path(item)
        source = self.disk_path(item)
        target = self.disk_path(parent) / name
        source.rename(target)
        old_parent = self.items.get(item.parent_id or "")
        if old_parent is not None:
            old_parent.children.discard(item.id)
        parent.children.add(item.id)
        item.parent_id = parent.id
        item.name = name
        item.version += 1
        item.modified_by = by
        new_rel = self.rel_path(item)
        for rel in [r for r in self._by_path if r == old_rel or r.startswith(old_rel + "/")]:
            moved_id = self._by_path.pop(rel)
            self._by_path[new_rel + rel[len(old_rel) :]] = moved_id
        self._bump(item)
        return item

    # -- delta -----------------------------------------------------------------------------
    def changes_since(self, seq: int | None, scope_id: str) -> list[Item]:
        """Items (tombstones included) changed after `seq` under `scope_id`, parents first.

        `seq=None` is a full enumeration: every live item under the scope, scope included.
        """
        scope = self.resolve(scope_id)
        if seq is None:
            live = [i for i in self.items.values() if not i.deleted and self.is_under(i, scope.id)]
            return sorted(live, key=lambda i: (self.depth(i), i.seq))
        changed = [i for i in self.items.values() if i.seq > seq and self.is_under(i, scope.id)]
        live = sorted((i for i in changed if not i.deleted), key=lambda i: (self.depth(i), i.seq))
        gone = sorted((i for i in changed if i.deleted), key=lambda i: i.seq)
        return live + gone

    def live_children_count(self, item: Item) -> int:
        return sum(1 for c in item.children if not self.items[c].deleted)

    @staticmethod
    def mime_type(name: str) -> str:
        guessed, _ = mimetypes.guess_type(name)
        return guessed or "application/octet-stream"
