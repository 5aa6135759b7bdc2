"""Turning due reminders into messages: one digest per recipient per tick, not one per item.

The card is Adaptive Card 1.5 JSON (plain data; bot/ only delivers it). Each digest carries a
"Snooze 1 day" button whose data names the series it quiets; the bot hands that to
`ReminderDispatcher.snooze`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from inspection.model import Inspection
from inspection.notifier import OutgoingMessage, Recipient
from inspection.reminders import ReminderItem, recipient_key

SNOOZE_ACTION = "snooze_reminders"


@dataclass(frozen=True)
class Digest:
    message: OutgoingMessage
    items: tuple[ReminderItem, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)


def is_delayed(item: ReminderItem, now: datetime, delayed_after: timedelta) -> bool:
    return now - item.due_at > delayed_after


def digests(
    items: Sequence[ReminderItem],
    inspection: Inspection,
    now: datetime,
    *,
    delayed_after: timedelta = timedelta(hours=1),
) -> list[Digest]:
    """Group the items by recipient; each group becomes one message."""
    groups: dict[str, list[ReminderItem]] = {}
    for item in sorted(items, key=lambda i: (i.due_at, i.rule, i.subject)):
        groups.setdefault(recipient_key(item.recipient), []).append(item)
    return [
        _digest(group[0].recipient, tuple(group), inspection, now, delayed_after)
        for group in groups.values()
    ]


def _digest(
    recipient: Recipient,
    items: tuple[ReminderItem, ...],
    inspection: Inspection,
    now: datetime,
    delayed_after: timedelta,
) -> Digest:
    names = {m.aad_object_id: m.display_name or m.role.label for m in inspection.members}
    mentions = tuple(dict.fromkeys(aad for item in items for aad in item.mentions))
    all_delayed = all(is_delayed(item, now, delayed_after) for item in items)
    header = f"{'(delayed) ' if all_delayed else ''}Reminders: {inspection.service_name}"
    lines: list[str] = []
    if mentions:
        lines.append(" ".join(f"<at>{names.get(aad, 'colleague')}</at>" for aad in mentions))
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": header, "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    if mentions:
        body.append({"type": "TextBlock", "text": lines[0], "wrap": True})
    for item in items:
        delayed = "(delayed) " if is_delayed(item, now, delayed_after) and not all_delayed else ""
        lines.append(f"- {delayed}{item.line} [{item.source}]")
        lines.extend(f"    {detail}" for detail in item.details)
        body.append(
            {
                "type": "TextBlock",
                "text": f"{delayed}{item.line}",
                "wrap": True,
                "weight": "Bolder" if item.overdue_working_days else "Default",
                "color": "Attention" if item.overdue_working_days else "Default",
                "spacing": "Medium",
            }
        )
        for detail in item.details:
            body.append(
                {
                    "type": "TextBlock",
                    "text": detail,
                    "wrap": True,
                    "isSubtle": True,
                    "spacing": "None",
                }
            )
        body.append(
            {
                "type": "TextBlock",
                "text": f"Handbook {item.source}",
                "isSubtle": True,
                "size": "Small",
                "spacing": "None",
            }
        )
    series = sorted({item.series for item in items})
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
        "actions": [
            {
                "type": "Action.Submit",
                "title": "Snooze 1 day",
                "data": {
                    "action": SNOOZE_ACTION,
                    "inspection_id": inspection.id,
                    "series": series,
                },
            }
        ],
    }
    text = "\n".join([header, *lines])
    metadata = {f"mention:{aad}": names.get(aad, "colleague") for aad in mentions}
    metadata["delayed"] = "yes" if all_delayed else "no"
    metadata["rules"] = ",".join(sorted({item.rule for item in items}))
    metadata["subjects"] = ",".join(sorted({item.subject for item in items}))
    message = OutgoingMessage(
        recipient=recipient,
        text=text,
        card=card,
        mentions=mentions,
        key=items[0].key if len(items) == 1 else f"digest:{items[0].key}+{len(items) - 1}",
        metadata=metadata,
    )
    return Digest(message, items)


def undelivered_lines(
    failures: Sequence[Any], *, names: Mapping[str, str] | None = None, limit: int = 10
) -> list[str]:
    """For the lead inspector's `status`: reminders Teams did not take, newest first.

    `failures` are `inspection.reminder_dispatch.OutboxEntry`s (status "failed"); `names` maps
    Entra object ids to the names people know (the inspection's members).
    """
    lines = []
    for entry in failures[:limit]:
        person = entry.recipient.split(":", 1)[-1]
        who = (
            "the channel"
            if entry.recipient == "channel"
            else (names or {}).get(person) or "a person no longer in the inspection"
        )
        lines.append(
            f"Not delivered to {who} ({entry.due_on.strftime('%a %d %b')}, "
            f"{entry.attempts} attempt{'s' if entry.attempts != 1 else ''}): {entry.summary} "
            f"- {entry.last_error or 'unknown error'}; tried again while still useful."
        )
    if len(failures) > limit:
        lines.append(f"... and {len(failures) - limit} more not delivered.")
    return lines
