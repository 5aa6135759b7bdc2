"""Adaptive Cards (schema 1.5, as Teams renders them), built as plain JSON dictionaries.

Buttons use `Action.Submit` with `data: {"action": <router action>, ...}`; the router sends the
press to the action registered under that name. `Action.Execute` (verb = action name) works too.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
Json = dict[str, Any]


def card(body: list[Json], actions: list[Json] | None = None) -> Json:
    """The card envelope; `msteams.width: Full` lets tables use the whole message width."""
    result: Json = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        result["actions"] = actions
    return result


def title(text: str) -> Json:
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "size": "Medium", "wrap": True}


def text(value: str, *, subtle: bool = False, color: str | None = None) -> Json:
    block: Json = {"type": "TextBlock", "text": value, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if color:
        block["color"] = color
    return block


def facts(pairs: list[tuple[str, str]]) -> Json:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]}


def submit(label: str, action: str, **data: Any) -> Json:
    return {"type": "Action.Submit", "title": label, "data": {"action": action, **data}}


def execute(label: str, action: str, **data: Any) -> Json:
    return {
        "type": "Action.Execute",
        "title": label,
        "verb": action,
        "data": {"action": action, **data},
    }
