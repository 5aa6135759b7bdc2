"""Every feature module of the bot. Each exposes `register(router, services)`.

To add one: write `bot/commands/<feature>.py` with `register`, and add it to COMMAND_MODULES
(order = order in `help`). Modules whose file does not exist yet are skipped.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from bot.context import InspectionResolver
from bot.operations import observe_turns, tag_inspection
from bot.router import Router, friendly_errors, log_turns
from bot.services import Services

COMMAND_MODULES = [
    "bot.commands.core",
    "bot.commands.inspections",
    "bot.commands.reminders",
    "bot.commands.requests",
    "bot.commands.checklist",
]


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def build_router(services: Services) -> Router:
    router = Router()
    # Outermost first: log every turn, turn errors into replies, then find the inspection.
    router.use(observe_turns)  # metrics (issue 7)
    router.use(log_turns)
    router.use(friendly_errors)
    router.use(InspectionResolver(services))
    router.use(tag_inspection)  # log lines carry the inspection id (issue 7)
    for name in COMMAND_MODULES:
        module = _load(name)
        if module is not None:
            module.register(router, services)
    return router
