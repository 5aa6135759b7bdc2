"""Bot state (conversations in progress: dialogs, follow-up questions) in the database.

`SqlStorage` is a botbuilder `Storage`: JSON documents by key, with eTags for optimistic
concurrency. Because it lives in the shared database, a conversation carries on after a restart
and whichever instance behind the load balancer gets the next message.

- `read(keys)` returns `{key: dict}` for the keys that exist; each dict carries its `e_tag`.
- `write({key: item})`: an item with no eTag (or "*") is written whatever is stored; an item
  with an eTag is written only if the stored document still has that eTag, else
  `StateConflict` and nothing of that write is saved. The item's `e_tag` is set to the new one,
  so the same state can be saved again in the same turn.
- `delete(keys)`.

Documents are botbuilder objects (dialog stacks, prompt options) flattened with jsonpickle, the
serialisation botbuilder itself uses for state; on reading, only botbuilder's and our dialogs'
classes may be rebuilt, so a row edited by hand cannot make the bot instantiate anything else.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler  # type: ignore[import-untyped]
from jsonpickle.unpickler import Unpickler  # type: ignore[import-untyped]
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from inspection.clock import Clock, SystemClock
from inspection.errors import Conflict
from store.bot_state_tables import MAX_KEY_CHARS, BotStateRow
from store.database import Database

log = logging.getLogger("dialogs.storage")

# Classes a stored document may rebuild (module prefixes); anything else is refused.
ALLOWED_MODULES = ("botbuilder.", "dialogs.")
# jsonpickle tags that only describe data or allowed classes.
ALLOWED_TAGS = frozenset({"py/object", "py/type", "py/reduce", "py/tuple", "py/set", "py/id"})


class StateConflict(Conflict):
    """Another message of the same conversation changed its state first."""

    def __init__(self, key: str) -> None:
        super().__init__(
            "Two of your messages arrived at the same time and I could only keep up with one; "
            "send the last one again."
        )
        self.key = key


class UnreadableState(ValueError):
    pass


class SqlStorage(Storage):  # type: ignore[misc]
    def __init__(self, database: Database, *, clock: Clock | None = None) -> None:
        self._db = database
        self._clock = clock or SystemClock()

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        wanted = [_check_key(key) for key in keys]
        table = BotStateRow.__table__
        async with self._db.reading() as connection:
            rows = (await connection.execute(select(table).where(table.c.key.in_(wanted)))).all()
            found: dict[str, Any] = {}
            for row in rows:
                try:
                    item = decode(row.document)
                except UnreadableState as exc:
                    # A document from an older version (or damaged): start that conversation
                    # afresh rather than fail every message of it.
                    log.warning("unreadable bot state dropped", extra={"reason": str(exc)})
                    continue
                item["e_tag"] = row.etag
                found[row.key] = item
        return found

    async def write(self, changes: Mapping[str, Any]) -> None:
        if changes is None:
            raise ValueError("changes are required when writing")
        if not changes:
            return
        now = self._clock.now()
        new_etags: dict[str, str] = {}
        async with self._db.session() as session:
            for key, item in changes.items():
                _check_key(key)
                expected = _etag_of(item)
                document = encode(item)
                etag = uuid.uuid4().hex
                if expected is None or expected == "*":
                    values = {"key": key, "document": document, "etag": etag, "updated_at": now}
                    insert = pg_insert if not self._db.is_sqlite else sqlite_insert
                    statement = insert(BotStateRow).values(**values)
                    statement = statement.on_conflict_do_update(
                        index_elements=[BotStateRow.key],
                        set_={"document": document, "etag": etag, "updated_at": now},
                    )
                    await session.execute(statement)
                else:
                    result = await session.execute(
                        update(BotStateRow)
                        .where(BotStateRow.key == key, BotStateRow.etag == expected)
                        .values(document=document, etag=etag, updated_at=now)
                    )
                    if getattr(result, "rowcount", 0) != 1:
                        # Changed (or removed) since it was read: the whole write is undone.
                        raise StateConflict(key)
                new_etags[key] = etag
        for key, item in changes.items():
            _set_etag(item, new_etags[key])

    async def delete(self, keys: Iterable[str]) -> None:
        wanted = [_check_key(key) for key in keys]
        if not wanted:
            return
        async with self._db.session() as session:
            await session.execute(delete(BotStateRow).where(BotStateRow.key.in_(wanted)))

    async def purge(self, older_than: datetime) -> int:
        """Forget conversations untouched since `older_than`; returns how many."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(BotStateRow).where(BotStateRow.updated_at < older_than)
            )
            return int(getattr(result, "rowcount", 0) or 0)


def encode(item: Any) -> str:
    flat = Pickler().flatten(item)
    if isinstance(flat, dict):
        flat.pop("e_tag", None)
    return json.dumps(flat, separators=(",", ":"))


def decode(document: str) -> dict[str, Any]:
    try:
        flat = json.loads(document)
    except ValueError as exc:
        raise UnreadableState("not JSON") from exc
    _check_tree(flat)
    try:
        restored = Unpickler(on_missing="error").restore(flat)
    except Exception as exc:  # a class renamed since it was stored, a bad tag
        raise UnreadableState(f"cannot rebuild ({type(exc).__name__})") from exc
    if not isinstance(restored, dict):
        raise UnreadableState("not a document")
    return restored


def _check_tree(node: Any) -> None:
    if isinstance(node, list):
        for value in node:
            _check_tree(value)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if isinstance(key, str) and key.startswith("py/"):
            if key not in ALLOWED_TAGS:
                raise UnreadableState(f"tag {key} is not allowed")
            if key in ("py/object", "py/type") and (
                not isinstance(value, str) or not value.startswith(ALLOWED_MODULES)
            ):
                raise UnreadableState(f"class {str(value)[:80]} is not allowed")
            if key == "py/reduce" and not (
                isinstance(value, list) and value and isinstance(value[0], dict)
                and set(value[0]) == {"py/type"}
            ):  # fmt: skip
                raise UnreadableState("only enum values may be rebuilt")
        _check_tree(value)


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
        raise ValueError(f"a state key must be 1 to {MAX_KEY_CHARS} characters")
    return key


def _etag_of(item: Any) -> str | None:
    value = item.get("e_tag") if isinstance(item, dict) else getattr(item, "e_tag", None)
    if value == "":
        raise ValueError("an empty eTag: read the item before writing it, or use '*'")
    return value if isinstance(value, str) else None


def _set_etag(item: Any, etag: str) -> None:
    if isinstance(item, dict):
        item["e_tag"] = etag
    else:
        with contextlib.suppress(AttributeError):  # an object that takes no attributes
            item.e_tag = etag
