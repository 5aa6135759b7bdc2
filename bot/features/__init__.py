"""Every feature of the bot, and the router built from them at start-up.

Each feature module declares its routes at module level (`routes = Routes()`); `build_router`
adds them in this order (the order of `help`), behind the middleware every turn passes.
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
        module = importlib.import_module(name)
        if hasattr(module, "routes"):
            router.include(module.routes)
        else:
            module.register(router, services)
    return router
