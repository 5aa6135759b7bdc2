"""The bot's follow-up question as a dialog: `Reply(expect="new inspection ... link officer")`
waits here for the same person's next message in the same conversation, which finishes the
command ("@Sam" -> "new inspection ... link officer @Sam").

A dialog like any other, so it lives in the same per-person state and survives a restart or a
second instance; the runner (dialogs/runner.py) decides what the next message is: the answer,
"cancel", a button (runs on its own; the question keeps waiting), or a command of its own (the
question is dropped and the command runs).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from bot.router import FOLLOW_UP_DIALOG

# A question left unanswered this long is forgotten: the next message is a new command.
FOLLOW_UP_TIMEOUT = timedelta(minutes=15)
EXPECT = "expect"


class FollowUpDialog(Dialog):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(FOLLOW_UP_DIALOG)

    async def begin_dialog(
        self, dialog_context: DialogContext, options: object = None
    ) -> DialogTurnResult:
        expect = options.get(EXPECT) if isinstance(options, dict) else None
        if not isinstance(expect, str) or not expect:
            return await dialog_context.end_dialog()
        dialog_context.active_dialog.state[EXPECT] = expect
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        # The runner answers the question itself (it needs the router); a message reaching
        # the dialog ends it.
        return await dialog_context.end_dialog()


def waiting_text(state: Any) -> str | None:
    """The command the question belongs to, from the dialog instance's state."""
    value = state.get(EXPECT) if isinstance(state, dict) else None
    return value if isinstance(value, str) else None
