"""What every feature's handlers share about the turn they are handling."""

from __future__ import annotations

from typing import Any

from bot.router import Router, Turn


def router_of(turn: Turn) -> Router[Any]:
    """The router handling `turn` (it sets `turn.router` before any handler runs), to run
    another command or list the commands."""
    if turn.router is None:
        raise RuntimeError("this handler runs only through a router (turn.router is not set)")
    return turn.router
