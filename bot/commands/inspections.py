"""Lead inspector commands (placeholder until written)."""

from __future__ import annotations

from bot.router import Router
from bot.services import Services


def register(router: Router, services: Services) -> None:
    return None
