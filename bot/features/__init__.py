"""Every feature of the bot, and the router built from them at start-up.

Each feature's route modules declare their routes at module level (`routes = Routes()`);
`build_router` adds them in the order of `FEATURE_MODULES` (the order of `help`, and the order
phrasings are tried in), behind the middleware every turn passes. A feature with many commands
keeps them in more than one module (information requests: logging, reading and answering;
the inspectors' operations; the Excel files).
"""

from __future__ import annotations

import importlib
from typing import Any

from bot.context import InspectionResolver
from bot.operations import observe_turns, tag_inspection
from bot.router import Router, friendly_errors, log_turns

FEATURE_MODULES = [
    "bot.features.core.handlers",
    "bot.features.inspections.handlers",
    "bot.features.reminders.handlers",
    "bot.features.information_requests.handlers",
    "bot.features.information_requests.inspector_commands",
    "bot.features.information_requests.exports",
    "bot.features.checklist.handlers",
]


def build_router(services: Any) -> Router[Any]:
    """The router over `services` (None: only the command list, for the app package)."""
    # Imported here: each feature's modules import this package (bot.features.<feature>).
    from bot.features.checklist.replanning import RecheckAfterReplanning

    router: Router[Any] = Router(services)
    # Outermost first: metrics, log every turn, turn errors into replies, find the inspection.
    router.use(observe_turns)
    router.use(log_turns)
    router.use(friendly_errors)
    if services is not None:
        router.use(InspectionResolver(services))
    router.use(tag_inspection)  # log lines carry the inspection id
    if services is not None:
        # Innermost: sees the reply of `move onsite` / `notice given` and adds the re-check.
        router.use(RecheckAfterReplanning(services))
    for name in FEATURE_MODULES:
        router.include(importlib.import_module(name).routes)
    return router
