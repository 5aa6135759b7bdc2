"""After `move onsite` and `notice given` the documents are checked again (audit and meeting
dates depend on them): a middleware, so the re-planning commands stay as they are."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.router import Next, Reply, Route, Turn
from bot.services import Services
from inspection.errors import InspectionError

log = logging.getLogger(__name__)

REPLANNING = frozenset({"move onsite", "notice given"})


class RecheckAfterReplanning:
    """Middleware: when a re-planning command moved the inspection's dates, check the
    documents against the new dates and add what needs attention to the reply."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def __call__(self, turn: Turn, route: Route, call_next: Next) -> Reply:
        reply = await call_next(turn)
        if route.name not in REPLANNING or turn.inspection is None or turn.inspection.id is None:
            return reply
        services = self._services
        before = turn.inspection
        try:
            after = await services.repository.get(before.id or 0)
        except InspectionError:
            return reply
        if (after.onsite_start, after.onsite_end, after.notice_date) == (
            before.onsite_start,
            before.onsite_end,
            before.notice_date,
        ):
            return reply
        try:
            state = await services.intake.recheck(after)
        except InspectionError as exc:
            log.warning("documents not re-checked: %s", exc)
            note = f"I couldn't check the documents again just now ({exc})."
            return replace(reply, more=(*reply.more, Reply(text=note)))
        if state is None:
            return reply
        await services.board.refresh(after, state)
        attention = state.needing_attention()
        note = "I checked the documents again against the new dates: " + (
            ", ".join(f"{i.title} needs attention" for i in attention)
            if attention
            else "nothing needs attention."
        )
        return replace(reply, more=(*reply.more, Reply(text=note)))
