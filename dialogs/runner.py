"""Runs dialogs for the Teams bot (bot/teams.py), with their state in the database.

Per message: `load` the person's state in this conversation; if a dialog is waiting for them,
`continue_turn` feeds it the message, unless it is "cancel" (the dialog ends, nothing is
recorded) or another command (the dialog ends, the bot says so, the command runs). A handler's
`Reply(dialog=DialogStart(...))` is started with `begin`. `save` runs at the end of every turn.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from botbuilder.core import Storage, TurnContext
from botbuilder.dialogs import (
    DialogContext,
    DialogInstance,
    DialogSet,
    DialogState,
    DialogTurnStatus,
)

from bot.features.information_requests.dialogs import (
    ANSWER_DIALOG_ACTION,
    TEXT,
    AnswerRequestDialog,
)
from bot.features.information_requests.dialogs import DIALOG_ID as ANSWER_DIALOG
from bot.router import FOLLOW_UP_DIALOG, Attachment, DialogStart, Router, Turn, normalise
from bot.sender import Sender, say
from dialogs.follow_up import FOLLOW_UP_TIMEOUT, FollowUpDialog, waiting_text
from dialogs.state import DIALOGS_PROPERTY, PersonInConversationState
from inspection.clock import Clock
from inspection.errors import InspectionError
from inspection.requests import RequestLog

log = logging.getLogger("dialogs.runner")

CANCEL_WORDS = frozenset(
    {"cancel", "stop", "quit", "exit", "never mind", "nevermind", "forget it", "abort"}
)
SAVED_BY_TURN = "dialogs.saved_by_turn"
# A dialog left waiting longer than this is dropped (the person has moved on).
DIALOG_TIMEOUT = timedelta(hours=12)


class Host(Protocol):
    """What the dialogs need from the Teams bot: its router, turns, and the one sender."""

    router: Router[Any]

    def to_turn(self, turn_context: TurnContext) -> Turn: ...

    sender: Sender


class DialogRunner:
    def __init__(self, storage: Storage, requests: RequestLog, clock: Clock) -> None:
        self.state = PersonInConversationState(storage)
        self._clock = clock
        self._dialog_state = self.state.create_property(DIALOGS_PROPERTY)
        self._touched = self.state.create_property("dialog_touched")
        self._dialogs = DialogSet(self._dialog_state)
        self._host: Host | None = None
        self._dialogs.add(AnswerRequestDialog(requests, self._record_answer))
        self._dialogs.add(FollowUpDialog())

    def attach(self, host: Host) -> None:
        self._host = host

    # --- every turn --------------------------------------------------------------------------
    async def load(self, context: TurnContext) -> None:
        """At the start of a turn (the turn saves at its end, bot/teams.py)."""
        context.turn_state[SAVED_BY_TURN] = True
        await self.state.load(context)

    async def save(self, context: TurnContext) -> None:
        """Save what changed; another instance writing first is said, not a failure."""
        if self.state.get_cached_state(context) is None:
            return
        try:
            await self.state.save_changes(context)
        except InspectionError as exc:
            log.warning("conversation state not saved", extra={"error": type(exc).__name__})
            await say(context, str(exc))

    def _active(self, context: TurnContext) -> bool:
        state = self.state.get(context) or {}
        dialogs = state.get(DIALOGS_PROPERTY)
        return isinstance(dialogs, DialogState) and bool(dialogs.dialog_stack)

    async def continue_turn(self, context: TurnContext, turn: Turn) -> bool:
        """Feed the message to the waiting dialog; False when the router should handle it."""
        if not self._active(context):
            return False
        if turn.data is not None:
            # A card button is its own action: it runs, and the dialog keeps waiting.
            return False
        dialog_context = await self._dialogs.create_context(context)
        touched = await self._touched.get(context)
        top = dialog_context.active_dialog
        if top is not None and top.id == FOLLOW_UP_DIALOG:
            return await self._answer(context, dialog_context, touched, turn)
        if self._expired(touched, DIALOG_TIMEOUT):
            # Left unanswered for hours: a "yes" today is not the answer to yesterday's question.
            await dialog_context.cancel_all_dialogs()
            return False
        ref = _ref_of(dialog_context)
        about = f" to {ref}" if ref else ""
        if normalise(turn.text) in CANCEL_WORDS and not turn.attachments:
            await dialog_context.cancel_all_dialogs()
            await say(
                context,
                f"Stopped. Nothing new was recorded{about}; anything recorded before is kept.",
            )
            return True
        interrupting = self._interruption(dialog_context, turn)
        if interrupting is not None:
            await dialog_context.cancel_all_dialogs()
            await say(
                context,
                f"I've stopped the answer{about} (nothing was recorded) to do `{interrupting}`.",
            )
            return False
        await self._touched.set(context, self._clock.now().isoformat())
        name = _top_dialog(dialog_context)
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await dialog_context.continue_dialog()
            outcome = "ok"
        finally:
            # As bot/router.py's log_turns does for commands: what ran, how long (no content).
            log.info(
                "turn",
                extra={
                    "route": f"dialog:{name}",
                    "kind": turn.kind,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "outcome": outcome,
                },
            )
        return bool(result.status != DialogTurnStatus.Empty)

    async def _answer(
        self, context: TurnContext, dialog_context: DialogContext, touched: object, turn: Turn
    ) -> bool:
        """The message after the bot's follow-up question: its answer (the command it
        belongs to is finished and routed), "cancel", or a command of its own (the question
        is dropped). False when the router should handle the message."""
        host = self._host
        expect = waiting_text(dialog_context.active_dialog.state)
        if host is None or expect is None or self._expired(touched, FOLLOW_UP_TIMEOUT):
            await dialog_context.cancel_all_dialogs()
            return False
        if not turn.text.strip():
            return False  # files alone, or nothing: handled as they are; the question waits
        if normalise(turn.text) in CANCEL_WORDS:
            await dialog_context.cancel_all_dialogs()
            await say(context, "OK, I've stopped waiting for that answer.")
            return True
        found = host.router.match(turn.text)
        await dialog_context.cancel_all_dialogs()
        if found is not None and found[0].kind == "command":
            return False
        reply = await host.router.dispatch(replace(turn, text=f"{expect} {turn.text}"))
        await host.sender.reply(context, reply)
        return True

    def _expired(self, touched: object, timeout: timedelta) -> bool:
        try:
            since = datetime.fromisoformat(str(touched))
        except ValueError:
            return True
        return self._clock.now() - since > timeout

    def _interruption(self, dialog_context: DialogContext, turn: Turn) -> str | None:
        """The command this message is, when it is one (it then replaces the dialog)."""
        if turn.data is not None or self._host is None:
            return None
        found = self._host.router.match(turn.text)
        if found is None:
            return None
        route, args = found
        waiting = _instances(dialog_context.stack)
        if waiting and waiting[0].id == TEXT:
            # The answer itself may start with a command's word ("status report attached"):
            # while the bot waits for the answer's text only a bare command interrupts, or a
            # phrasing that opens the message ("IR-002 is answered, ...": another request).
            if route.kind == "command" and args:
                return None
            if route.kind == "intent" and (
                route.pattern is None or not route.pattern.match(turn.text.strip())
            ):
                return None
        return route.name

    async def begin(self, context: TurnContext, start: DialogStart) -> None:
        await self.state.load(context)
        dialog_context = await self._dialogs.create_context(context)
        await dialog_context.cancel_all_dialogs()
        await self._touched.set(context, self._clock.now().isoformat())
        await dialog_context.begin_dialog(start.name, dict(start.options))
        if not context.turn_state.get(SAVED_BY_TURN):
            # A conversation other than the turn's own (the personal chat): save it now.
            await self.save(context)

    async def _record_answer(
        self, context: TurnContext, answer: Mapping[str, Any], files: list[dict[str, Any]]
    ) -> None:
        host = self._host
        if host is None:
            raise InspectionError("answers cannot be recorded here")
        turn = host.to_turn(context)
        attachments = tuple(
            Attachment(
                name=str(f.get("name") or ""),
                content_type=str(f.get("content_type") or ""),
                content_url=f.get("content_url"),
                content=f.get("content"),
            )
            for f in files
        )
        data = {"action": ANSWER_DIALOG_ACTION, **answer}
        turn = replace(turn, text="", data=data, attachments=attachments, card_activity_id=None)
        reply = await host.router.dispatch(turn)
        await host.sender.reply(context, reply)


def _instances(stack: list[DialogInstance]) -> list[DialogInstance]:
    """Every dialog instance on the stack, with those inside component dialogs, innermost
    (the one waiting for input) first."""
    found: list[DialogInstance] = []
    for instance in stack:
        state = instance.state if isinstance(instance.state, dict) else {}
        inner = state.get("dialogs")
        if isinstance(inner, DialogState):
            found.extend(_instances(inner.dialog_stack))
        found.append(instance)
    return found


def _top_dialog(dialog_context: DialogContext) -> str:
    stack = dialog_context.stack
    return str(stack[0].id) if stack else "ended"


def _ref_of(dialog_context: DialogContext) -> str | None:
    for instance in _instances(dialog_context.stack):
        state = instance.state if isinstance(instance.state, dict) else {}
        values = state.get("values")
        if isinstance(values, dict) and values.get("ref"):
            return str(values["ref"])
        options = state.get("options")
        if isinstance(options, dict) and options.get("ref"):
            return str(options["ref"])
    return None


__all__ = ["ANSWER_DIALOG", "DialogRunner", "Host"]
