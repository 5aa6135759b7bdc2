"""`ConversationStore` over SQLAlchemy: where the bot can post later, kept across restarts.

Each Teams conversation the bot has been part of is one row, refreshed on every turn and on
install; removal deletes it. A chat that is about one inspection remembers which (the answer to
the bot's "which inspection?" card), so the question is asked once per conversation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from inspection.conversations import ConversationKind, ConversationRef
from store.database import Database
from store.tables import Base
from store.types import UTCDateTime


class ConversationRow(Base):
    __tablename__ = "bot_conversations"

    conversation_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    service_url: Mapped[str] = mapped_column(String(2000))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    aad_object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel_id: Mapped[str | None] = mapped_column(String(400), index=True)
    team_id: Mapped[str | None] = mapped_column(String(400))
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The inspection this chat is about, once the user chose it (personal and group chats).
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlConversationStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def save(self, ref: ConversationRef) -> None:
        values: dict[str, Any] = {
            "conversation_id": ref.conversation_id,
            "kind": ref.kind,
            "service_url": ref.service_url,
            "tenant_id": ref.tenant_id,
            "aad_object_id": ref.aad_object_id,
            "channel_id": ref.channel_id,
            "team_id": ref.team_id,
            "reference": ref.reference,
            "updated_at": datetime.now(UTC),
        }
        insert = pg_insert if self._db.backend == "postgresql" else sqlite_insert
        statement = insert(ConversationRow).values(**values)
        changed = {key: value for key, value in values.items() if key != "conversation_id"}
        statement = statement.on_conflict_do_update(
            index_elements=[ConversationRow.conversation_id], set_=changed
        )
        async with self._db.session() as session:
            await session.execute(statement)

    async def get(self, conversation_id: str) -> ConversationRef | None:
        async with self._db.session() as session:
            row = await session.get(ConversationRow, conversation_id)
            return _ref(row) if row else None

    async def personal_for(self, aad_object_id: str) -> ConversationRef | None:
        query = (
            select(ConversationRow)
            .where(
                ConversationRow.aad_object_id == aad_object_id,
                ConversationRow.kind == "personal",
            )
            .order_by(ConversationRow.updated_at.desc())
        )
        async with self._db.session() as session:
            row = (await session.scalars(query)).first()
            return _ref(row) if row else None

    async def channel(self, channel_id: str) -> ConversationRef | None:
        query = (
            select(ConversationRow)
            .where(ConversationRow.channel_id == channel_id, ConversationRow.kind == "channel")
            .order_by(ConversationRow.updated_at.desc())
        )
        async with self._db.session() as session:
            row = (await session.scalars(query)).first()
            return _ref(row) if row else None

    async def forget(self, conversation_id: str) -> None:
        async with self._db.session() as session:
            await session.execute(
                delete(ConversationRow).where(ConversationRow.conversation_id == conversation_id)
            )

    async def forget_team(self, team_id: str) -> int:
        """The bot was removed from a team: every channel of it goes."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(ConversationRow).where(ConversationRow.team_id == team_id)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def remember_inspection(self, conversation_id: str, inspection_id: int | None) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(ConversationRow)
                .where(ConversationRow.conversation_id == conversation_id)
                .values(inspection_id=inspection_id)
            )

    async def chosen_inspection(self, conversation_id: str) -> int | None:
        table = ConversationRow.__table__
        query = select(table.c.inspection_id).where(table.c.conversation_id == conversation_id)
        async with self._db.reading() as connection:
            return (await connection.execute(query)).scalar()


def _ref(row: ConversationRow) -> ConversationRef:
    kind: ConversationKind = row.kind  # type: ignore[assignment]
    return ConversationRef(
        conversation_id=row.conversation_id,
        kind=kind,
        service_url=row.service_url,
        tenant_id=row.tenant_id,
        aad_object_id=row.aad_object_id,
        channel_id=row.channel_id,
        team_id=row.team_id,
        reference=dict(row.reference or {}),
    )
