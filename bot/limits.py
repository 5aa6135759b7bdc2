"""Input limits on an incoming activity, checked before it reaches botbuilder.

The body size is limited by `BOT_MAX_REQUEST_BYTES` in bot/web.py and the length of a typed
command by the router; these are the shapes no Teams client sends but a forged request could:
JSON nested deep enough to exhaust the recursion limit somewhere downstream (msrest's
deserialiser, our card readers, the JSON encoder), and lists long enough to make one turn do
hundreds of downloads or mention look-ups.
"""

from __future__ import annotations

from typing import Any

# Teams' deepest real shape (an Action.Execute invoke with card data) nests about 6 levels.
MAX_JSON_DEPTH = 32
# Teams lets a person attach at most 10 files to one message; a little headroom for cards.
MAX_ATTACHMENTS = 20
MAX_ENTITIES = 50

TOO_DEEP = (
    f"the activity's JSON is nested more than {MAX_JSON_DEPTH} levels deep; "
    "Teams never sends that, so it was not processed"
)


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` nests deeper than `limit` (iterative: no recursion to exhaust). Only
    dicts and lists are visited: a scalar adds no depth."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def limit_violation(body: dict[str, Any]) -> str | None:
    """Why this activity is refused on size or shape, or None."""
    if json_depth_exceeds(body):
        return TOO_DEEP
    attachments = body.get("attachments") or []
    if isinstance(attachments, list) and len(attachments) > MAX_ATTACHMENTS:
        return (
            f"the message has {len(attachments)} attachments; at most {MAX_ATTACHMENTS} are "
            "read from one message: send the files in smaller batches"
        )
    entities = body.get("entities") or []
    if isinstance(entities, list) and len(entities) > MAX_ENTITIES:
        return (
            f"the message has {len(entities)} entities (mentions and the like); at most "
            f"{MAX_ENTITIES} are read: mention fewer people in one message"
        )
    return None
