"""What the bot knows of each inspection channel's files: tracked drive items, the delta link
a sync continues from, and Graph change-notification subscriptions.

A sync is recorded in one transaction (items and delta link together), so a crash or outage
part-way leaves the previous complete sync in place and the next sync starts from there.

Several instances share the subscriptions: before creating, renewing, re-creating or deleting
an inspection's subscription an instance takes that inspection's lease (a row in
`graph_subscription_leases`, taken by a conditional insert or update), so each is done once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from inspection.model import InspectionStatus
from store.database import Database
from store.tables import Base, InspectionRow
from store.types import UTCDateTime

_CHUNK = 500  # ids per IN (...) list; well under SQLite's and asyncpg's parameter limits


class DriveItemRow(Base):
    """A file or folder under an inspection's channel folder, as of the last sync."""

    __tablename__ = "drive_items"
    # An incremental sync reads a changed folder's contents by parent.
    __table_args__ = (Index("ix_drive_items_inspection_parent", "inspection_id", "parent_id"),)

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    is_folder: Mapped[bool] = mapped_column(Boolean, default=False)
    size: Mapped[int | None] = mapped_column(BigInteger)
    mime_type: Mapped[str | None] = mapped_column(String(200))
    web_url: Mapped[str | None] = mapped_column(Text)
    # Changes when the content changes (cTag), so a rename alone is not "modified".
    content_tag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[datetime | None] = mapped_column(UTCDateTime())
    modified_by: Mapped[str | None] = mapped_column(String(200))
    modified_by_id: Mapped[str | None] = mapped_column(String(64))


class DeltaLinkRow(Base):
    """Where the next delta query for an inspection's channel folder continues from."""

    __tablename__ = "drive_delta_links"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    drive_id: Mapped[str] = mapped_column(String(200))
    folder_id: Mapped[str] = mapped_column(String(200))
    delta_link: Mapped[str] = mapped_column(Text)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())
    full_synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GraphSubscriptionRow(Base):
    """A drive change-notification subscription (a trigger for a delta sync)."""

    __tablename__ = "graph_subscriptions"
    __table_args__ = (Index("ix_graph_subscriptions_inspection_id", "inspection_id"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(400))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What it was made with: a changed GRAPH_NOTIFICATION_URL or GRAPH_CLIENT_STATE means a
    # new subscription (Graph keeps sending the old secret to the old URL otherwise).
    notification_url: Mapped[str | None] = mapped_column(Text)
    client_state_digest: Mapped[str | None] = mapped_column(String(64))


class SubscriptionLeaseRow(Base):
    """Who is creating, renewing or deleting an inspection's subscription, until when."""

    __tablename__ = "graph_subscription_leases"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class ChannelFiles:
    """An inspection whose channel has a files folder (what a subscription is for)."""

    inspection_id: int
    drive_id: str
    closed: bool


FilesMode = Literal["live", "polling"]


@dataclass(frozen=True)
class TrackedItem:
    item_id: str
    parent_id: str | None
    name: str
    is_folder: bool = False
    size: int | None = None
    mime_type: str | None = None
    web_url: str | None = None
    content_tag: str | None = None
    last_modified: datetime | None = None
    modified_by: str | None = None
    modified_by_id: str | None = None


@dataclass(frozen=True)
class DeltaState:
    drive_id: str
    folder_id: str
    delta_link: str
    synced_at: datetime
    full_synced_at: datetime


@dataclass(frozen=True)
class StoredSubscription:
    id: str
    inspection_id: int
    resource: str
    expires_at: datetime
    created_at: datetime
    notification_url: str = ""
    client_state_digest: str = ""


_ITEM_COLUMNS = (
    "item_id",
    "parent_id",
    "name",
    "is_folder",
    "size",
    "mime_type",
    "web_url",
    "content_tag",
    "last_modified",
    "modified_by",
    "modified_by_id",
)


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class SqlFileStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def delta_state(self, inspection_id: int) -> DeltaState | None:
        async with self._database.session() as session:
            row = await session.get(DeltaLinkRow, inspection_id)
            if row is None:
                return None
            return DeltaState(
                row.drive_id, row.folder_id, row.delta_link, row.synced_at, row.full_synced_at
            )

    async def items(self, inspection_id: int) -> dict[str, TrackedItem]:
        # Plain rows, not ORM objects: a channel may hold 10,000 files (bench/graph_delta.py).
        columns = [getattr(DriveItemRow, name) for name in _ITEM_COLUMNS]
        query = select(*columns).where(DriveItemRow.inspection_id == inspection_id)
        async with self._database.session() as session:
            rows = (await session.execute(query)).all()
        return {row[0]: TrackedItem(*row) for row in rows}

    async def items_with(
        self, inspection_id: int, item_ids: Iterable[str]
    ) -> dict[str, TrackedItem]:
        """The stored items among `item_ids` (an incremental sync reads only these)."""
        return await self._select(inspection_id, DriveItemRow.item_id, item_ids)

    async def children_of(
        self, inspection_id: int, parent_ids: Iterable[str]
    ) -> dict[str, TrackedItem]:
        """The stored items directly inside these folders."""
        return await self._select(inspection_id, DriveItemRow.parent_id, parent_ids)

    async def file_count(self, inspection_id: int) -> int:
        query = select(func.count()).where(
            DriveItemRow.inspection_id == inspection_id, DriveItemRow.is_folder.is_(False)
        )
        async with self._database.reading() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def _select(
        self, inspection_id: int, column: Any, values: Iterable[str]
    ) -> dict[str, TrackedItem]:
        columns = [getattr(DriveItemRow, name) for name in _ITEM_COLUMNS]
        found: dict[str, TrackedItem] = {}
        async with self._database.reading() as connection:
            for chunk in _chunks(sorted(set(values))):
                query = select(*columns).where(
                    DriveItemRow.inspection_id == inspection_id, column.in_(chunk)
                )
                for row in await connection.execute(query):
                    found[row[0]] = TrackedItem(*row)
        return found

    async def save_sync(
        self,
        inspection_id: int,
        state: DeltaState,
        *,
        expected_link: str | None,
        upserts: Sequence[TrackedItem],
        removed: Sequence[str],
        replace_all: bool = False,
    ) -> bool:
        """Record a completed sync in one transaction.

        `expected_link` is the delta link the sync started from (None: there was none). If
        another sync recorded a newer one meanwhile, nothing is written and False is returned:
        that sync already reported these changes.
        """
        async with self._database.session() as session:
            current = await session.get(DeltaLinkRow, inspection_id, with_for_update=True)
            current_link = current.delta_link if current is not None else None
            if current_link != expected_link:
                return False
            if replace_all:
                await session.execute(
                    delete(DriveItemRow).where(DriveItemRow.inspection_id == inspection_id)
                )
            else:
                gone = [*removed, *(item.item_id for item in upserts)]
                for chunk in _chunks(gone):
                    await session.execute(
                        delete(DriveItemRow).where(
                            DriveItemRow.inspection_id == inspection_id,
                            DriveItemRow.item_id.in_(chunk),
                        )
                    )
            rows = [
                {"inspection_id": inspection_id, **{n: getattr(i, n) for n in _ITEM_COLUMNS}}
                for i in upserts
            ]
            for start in range(0, len(rows), _CHUNK):
                await session.execute(insert(DriveItemRow), rows[start : start + _CHUNK])
            values = {
                "drive_id": state.drive_id,
                "folder_id": state.folder_id,
                "delta_link": state.delta_link,
                "synced_at": state.synced_at,
                "full_synced_at": state.full_synced_at,
            }
            if current is None:
                await session.execute(
                    insert(DeltaLinkRow).values(inspection_id=inspection_id, **values)
                )
            else:
                await session.execute(
                    update(DeltaLinkRow)
                    .where(DeltaLinkRow.inspection_id == inspection_id)
                    .values(**values)
                )
            return True

    async def forget(self, inspection_id: int) -> None:
        """Drop what is known of the channel's files (the next sync enumerates afresh)."""
        async with self._database.session() as session:
            await session.execute(
                delete(DriveItemRow).where(DriveItemRow.inspection_id == inspection_id)
            )
            await session.execute(
                delete(DeltaLinkRow).where(DeltaLinkRow.inspection_id == inspection_id)
            )

    # -- subscriptions ---------------------------------------------------------------------
    async def save_subscription(self, subscription: StoredSubscription) -> None:
        async with self._database.session() as session:
            await session.execute(
                delete(GraphSubscriptionRow).where(GraphSubscriptionRow.id == subscription.id)
            )
            await session.execute(
                insert(GraphSubscriptionRow).values(
                    id=subscription.id,
                    inspection_id=subscription.inspection_id,
                    resource=subscription.resource,
                    expires_at=subscription.expires_at,
                    created_at=subscription.created_at,
                    notification_url=subscription.notification_url or None,
                    client_state_digest=subscription.client_state_digest or None,
                )
            )

    async def renewed(self, subscription_id: str, expires_at: datetime) -> None:
        async with self._database.session() as session:
            await session.execute(
                update(GraphSubscriptionRow)
                .where(GraphSubscriptionRow.id == subscription_id)
                .values(expires_at=expires_at)
            )

    async def subscription(self, subscription_id: str) -> StoredSubscription | None:
        async with self._database.session() as session:
            row = await session.get(GraphSubscriptionRow, subscription_id)
            return _subscription(row) if row is not None else None

    async def subscriptions(
        self, *, inspection_id: int | None = None, expiring_before: datetime | None = None
    ) -> list[StoredSubscription]:
        query = select(GraphSubscriptionRow).order_by(GraphSubscriptionRow.expires_at)
        if inspection_id is not None:
            query = query.where(GraphSubscriptionRow.inspection_id == inspection_id)
        if expiring_before is not None:
            query = query.where(GraphSubscriptionRow.expires_at < expiring_before)
        async with self._database.session() as session:
            return [_subscription(row) for row in await session.scalars(query)]

    async def delete_subscription(self, subscription_id: str) -> None:
        async with self._database.session() as session:
            await session.execute(
                delete(GraphSubscriptionRow).where(GraphSubscriptionRow.id == subscription_id)
            )

    async def has_live_subscription(self, inspection_id: int, now: datetime) -> bool:
        query = select(GraphSubscriptionRow.id).where(
            GraphSubscriptionRow.inspection_id == inspection_id,
            GraphSubscriptionRow.expires_at > now,
        )
        async with self._database.reading() as connection:
            return (await connection.execute(query.limit(1))).first() is not None

    async def files_mode(self, inspection_id: int, now: datetime) -> FilesMode:
        """"live" while Graph notifies the bot of changes to the inspection's files (a live
        subscription), else "polling"."""
        return "live" if await self.has_live_subscription(inspection_id, now) else "polling"

    async def last_synced(self, inspection_id: int) -> datetime | None:
        """When any instance last completed a sync of the inspection's files."""
        query = select(DeltaLinkRow.synced_at).where(DeltaLinkRow.inspection_id == inspection_id)
        async with self._database.reading() as connection:
            found = (await connection.execute(query)).first()
        return found[0] if found is not None else None

    async def channels_with_files(self) -> list[ChannelFiles]:
        """Every inspection (closed ones too) whose channel has a files folder recorded."""
        query = (
            select(InspectionRow.id, InspectionRow.drive_id, InspectionRow.status)
            .where(InspectionRow.drive_id.is_not(None), InspectionRow.folder_id.is_not(None))
            .order_by(InspectionRow.id)
        )
        async with self._database.reading() as connection:
            rows = (await connection.execute(query)).all()
        return [
            ChannelFiles(row[0], row[1], row[2] == InspectionStatus.CLOSED.value)
            for row in rows
            if row[1]
        ]

    # -- leases: one instance at a time works on an inspection's subscription ---------------
    async def take_subscription_lease(
        self, inspection_id: int, holder: str, *, now: datetime, lease: timedelta
    ) -> bool:
        """Take (or extend) the inspection's lease; False while another holder's is current."""
        table = cast(Table, SubscriptionLeaseRow.__table__)
        insert_of = sqlite_insert if self._database.is_sqlite else pg_insert
        until = now + lease
        async with self._database.session() as session:
            connection = await session.connection()
            inserted = await connection.execute(
                insert_of(table)
                .values(inspection_id=inspection_id, holder=holder, until=until)
                .on_conflict_do_nothing(index_elements=["inspection_id"])
            )
            if inserted.rowcount == 1:
                return True
            # A conditional update: of two instances racing for a lapsed lease, one matches.
            taken = await connection.execute(
                update(table)
                .where(
                    table.c.inspection_id == inspection_id,
                    or_(table.c.holder == holder, table.c.until <= now),
                )
                .values(holder=holder, until=until)
            )
            return bool(taken.rowcount == 1)

    async def release_subscription_lease(self, inspection_id: int, holder: str) -> None:
        async with self._database.session() as session:
            await session.execute(
                delete(SubscriptionLeaseRow).where(
                    SubscriptionLeaseRow.inspection_id == inspection_id,
                    SubscriptionLeaseRow.holder == holder,
                )
            )


def _subscription(row: GraphSubscriptionRow) -> StoredSubscription:
    return StoredSubscription(
        row.id,
        row.inspection_id,
        row.resource,
        row.expires_at,
        row.created_at,
        row.notification_url or "",
        row.client_state_digest or "",
    )
