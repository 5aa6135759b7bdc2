"""The bot's conversation state table (store/bot_state.py reads and writes it). Kept apart so
that loading the schema (migrations, the CLI) does not import botbuilder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.tables import Base
from store.types import UTCDateTime

MAX_KEY_CHARS = 1000


class BotStateRow(Base):
    __tablename__ = "bot_state"

    # "{channel}/conversations/{conversation}/users/{user}" (dialogs/state.py)
    key: Mapped[str] = mapped_column(String(MAX_KEY_CHARS), primary_key=True)
    document: Mapped[str] = mapped_column(Text)  # JSON
    etag: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
