"""Microsoft Graph's timestamps: ISO 8601 in UTC with a "Z" (`2026-03-02T09:00:00.000Z`), read
and written the same way by the Graph adapter and the emulator."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: object) -> datetime | None:
    """A Graph timestamp, always time-zone aware (UTC when it names none); None when absent or
    not a timestamp."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """A moment as Graph writes it: UTC, milliseconds, "Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
