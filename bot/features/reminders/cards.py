"""Cards for chasing: what is overdue (requests and required documents), and a snoozed note."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.cards import Json, card, submit, text, title

# The "Show overdue" button on a chase (its handler is in this feature's handlers.py).
SHOW_OVERDUE_ACTION = "show_overdue"


@dataclass(frozen=True)
class OverdueLine:
    what: str  # "IR-003: Supervision records for CR-104233"
    detail: str  # "due Tue 03 Mar 2026, 2 working days ago"
    source: str  # handbook section


def overdue_card(
    service_name: str, lines: Sequence[OverdueLine], *, heading: str, chase: bool
) -> Json:
    body: list[Json] = [title(f"{heading}: {service_name}")]
    if not lines:
        body.append(text("Nothing is overdue.", subtle=True))
    for line in lines:
        body.append(
            {
                "type": "TextBlock",
                "text": line.what,
                "wrap": True,
                "weight": "Bolder",
                "color": "Attention",
                "spacing": "Medium",
            }
        )
        body.append(
            {
                "type": "TextBlock",
                "text": f"{line.detail} (handbook {line.source})",
                "wrap": True,
                "isSubtle": True,
                "spacing": "None",
            }
        )
    actions = [submit("Show overdue", SHOW_OVERDUE_ACTION)] if chase else None
    return card(body, actions)


def snoozed_card(until: date, by: str) -> Json:
    return card(
        [
            title("Reminders snoozed"),
            text(
                f"{by or 'Someone'} snoozed these reminders until the end of {until:%a %d %b %Y}."
            ),
        ]
    )
