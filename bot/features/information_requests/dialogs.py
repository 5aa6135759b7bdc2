"""The "answer a request" dialog (7.3: every response is kept with its request).

Entered when a link officer or director says "IR-004 is answered" with no response text,
"I've answered a request", `answer` on its own, or sends files without saying which request.
It asks only for what is missing, in this order:

1. which request: a choice of the inspection's open requests (id and short text);
2. the response text: typed, or "see attached" (the privacy guard of 9.7 runs on it: a
   possible child's name or date of birth is shown, and the person retypes or says
   `record anyway`);
3. files: attached now, or "no files" (skipped when files came earlier);
4. a confirmation; then the answer is recorded through the same code as the one-line form
   (`Host.record`: the request log's `answer`, files copied into the channel's Files).

"cancel" at any step ends it; nothing is recorded before the confirmation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.choices import Choice, ListStyle
from botbuilder.dialogs.prompts import (
    ChoicePrompt,
    ConfirmPrompt,
    PromptOptions,
    PromptValidatorContext,
    TextPrompt,
)
from botbuilder.schema import ActionTypes, CardAction, HeroCard

from bot.activities import TEAMS_FILE_TYPES
from bot.sender import say
from inspection.errors import InspectionError, Unavailable
from inspection.privacy import check_text
from inspection.requests import (
    MAX_FILES,
    MAX_TEXT,
    WAITING_STATUSES,
    Person,
    Precheck,
    RequestLog,
    RequestQuery,
)

log = logging.getLogger(__name__)

DIALOG_ID = "answer_request"
# The hidden card action the dialog's last step runs (dialogs/runner.py) to record the answer
# through the same handler as the one-line form (handlers.py).
ANSWER_DIALOG_ACTION = "request_answer_dialog"
STEPS = "answer_request.steps"
WHICH = "answer_request.which"
TEXT = "answer_request.text"
FILES = "answer_request.files"
CONFIRM = "answer_request.confirm"
MAX_CHOICES = 20
SHORT = 60
RECORD_ANYWAY = re.compile(r"^\s*record\s+(?:it\s+)?anyway\s*[.!]?\s*$", re.IGNORECASE)
NO_FILES = re.compile(
    r"^\s*(?:no\s+files?|none|no|nothing(?:\s+to\s+attach)?|no\s+attachments?|skip)\s*[.!]?\s*$",
    re.IGNORECASE,
)


class Recorder(Protocol):
    """Records the answer as the one-line form would, and says what happened."""

    async def __call__(
        self, context: TurnContext, answer: Mapping[str, Any], files: list[dict[str, Any]]
    ) -> None: ...


def files_of(context: TurnContext) -> list[dict[str, Any]]:
    """The files attached to this message, as plain data (kept in the dialog's state)."""
    found: list[dict[str, Any]] = []
    for item in context.activity.attachments or []:
        content_type = item.content_type or ""
        if content_type not in TEAMS_FILE_TYPES or not item.name:
            continue
        content = item.content if isinstance(item.content, dict) else None
        url = item.content_url or (content or {}).get("downloadUrl")
        found.append(
            {
                "name": item.name,
                "content_type": content_type,
                "content_url": url if isinstance(url, str) else None,
                "content": content,
            }
        )
    return found


def _collect_files(step: WaterfallStepContext) -> list[dict[str, Any]]:
    """Add the files attached to this message to the answer's (whatever was asked)."""
    files: list[dict[str, Any]] = step.values["files"]
    for found in files_of(step.context):
        if found not in files:
            files.append(found)
    return files


def _short(text: str, limit: int = SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _person(context: TurnContext) -> Person:
    sender = context.activity.from_property
    return Person(
        (sender.aad_object_id if sender else None) or "", (sender.name if sender else "") or ""
    )


Step = Callable[[WaterfallStepContext], Awaitable[DialogTurnResult]]


def _friendly(step: Step) -> Step:
    """A domain error in a step (request gone, role removed, database down) ends the dialog
    with its message; nothing was recorded."""

    async def run(context: WaterfallStepContext) -> DialogTurnResult:
        try:
            return await step(context)
        except Unavailable as exc:
            await say(context.context, f"{exc} Nothing was recorded.")
        except InspectionError as exc:
            await say(context.context, f"{exc}. Nothing was recorded.".replace("..", "."))
        return await context.end_dialog()

    return run


class AnswerRequestDialog(ComponentDialog):  # type: ignore[misc]
    def __init__(self, requests: RequestLog, record: Recorder) -> None:
        super().__init__(DIALOG_ID)
        self._requests = requests
        self._record = record
        self.add_dialog(
            WaterfallDialog(
                STEPS,
                [
                    _friendly(self._which),
                    _friendly(self._text),
                    _friendly(self._files),
                    _friendly(self._confirm),
                    _friendly(self._finish),
                ],
            )
        )
        self.add_dialog(ChoicePrompt(WHICH))
        self.add_dialog(TextPrompt(TEXT, self._check_text))
        self.add_dialog(TextPrompt(FILES, self._check_files))
        confirm = ConfirmPrompt(CONFIRM)
        confirm.style = ListStyle.none  # the question says "(yes / no)" itself
        self.add_dialog(confirm)
        self.initial_dialog_id = STEPS

    # --- steps -------------------------------------------------------------------------------
    async def _which(self, step: WaterfallStepContext) -> DialogTurnResult:
        options: dict[str, Any] = dict(step.options or {})
        values = step.values
        values["inspection_id"] = int(options["inspection_id"])
        values["complete"] = bool(options.get("complete", True))
        values["files"] = list(options.get("files") or [])
        if options.get("ref"):
            return await step.next(str(options["ref"]))
        waiting = await self._requests.find(
            values["inspection_id"],
            _person(step.context),
            RequestQuery(statuses=frozenset(WAITING_STATUSES)),
        )
        if not waiting:
            await say(
                step.context,
                "There are no open information requests to answer. If your file is for the "
                "document checklist, say which document it is, e.g. `this file is the staffing "
                "return`.",
            )
            return await step.end_dialog()
        if len(waiting) == 1:
            return await step.next(waiting[0].ref)
        me = _person(step.context).aad_object_id

        def order(request: Any) -> tuple[bool, Any, int]:
            # Theirs first (assigned to them), then the soonest due.
            mine = request.assignee is not None and request.assignee.aad_object_id == me
            return (not mine, request.due_on, request.number)

        shown = sorted(waiting, key=order)[:MAX_CHOICES]
        choices = [
            Choice(
                value=r.ref,
                action=CardAction(
                    type=ActionTypes.im_back, title=f"{r.ref}: {_short(r.text, 40)}", value=r.ref
                ),
                synonyms=[str(r.number), f"IR{r.number}", f"IR-{r.number}", f"IR {r.number}"],
            )
            for r in shown
        ]
        lines = [f"- {r.ref} (due {r.due_on:%a %d %b}): {_short(r.text)}" for r in shown]
        more = f"\n\n({len(waiting) - len(shown)} more: type the id.)" if len(waiting) > len(
            shown
        ) else ""  # fmt: skip
        question = (
            "Which request are you answering? Choose one, or type its id (e.g. "
            f"{shown[0].ref}). Type `cancel` to stop.\n\n" + "\n".join(lines) + more
        )
        prompt = MessageFactory.attachment(
            # The list is the message's text; the card holds only the buttons (no repeat).
            CardFactory.hero_card(HeroCard(buttons=[c.action for c in choices]))
        )
        prompt.text = question
        return await step.prompt(
            WHICH,
            PromptOptions(
                prompt=prompt,
                retry_prompt=MessageFactory.text(
                    "I didn't catch which request. Choose a button or type its id, e.g. "
                    f"{shown[0].ref}, or `cancel`."
                ),
                choices=choices,
                style=ListStyle.none,
            ),
        )

    async def _text(self, step: WaterfallStepContext) -> DialogTurnResult:
        _collect_files(step)
        result = step.result
        ref = str(getattr(result, "value", result))
        request = await self._requests.get(step.values["inspection_id"], ref, _person(step.context))
        if request.status.value in ("accepted", "withdrawn"):
            raise InspectionError(f"{request.ref} is {request.status.label}; it needs no answer")
        step.values["ref"] = request.ref
        step.values["request_text"] = _short(request.text, 120)
        options: dict[str, Any] = dict(step.options or {})
        if isinstance(options.get("text"), str) and options["text"].strip():
            return await step.next(options["text"].strip())
        files = step.values["files"]
        attached = f" I have {len(files)} file(s) for it." if files else ""
        return await step.prompt(
            TEXT,
            PromptOptions(
                prompt=MessageFactory.text(
                    f'What is the answer to {request.ref} ("{step.values["request_text"]}")?'
                    f"{attached} Type the answer, or `see attached` if the file says it all. "
                    "Type `cancel` to stop."
                ),
                retry_prompt=MessageFactory.text(
                    "Type the answer (or `see attached`), or `cancel` to stop."
                ),
                # The validator checks the text against this inspection's own terms (9.7).
                validations={"inspection_id": step.values["inspection_id"]},
            ),
        )

    async def _files(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["text"] = str(step.result or "").strip()
        # Files may come with the typed answer ("see attached" + the file).
        _collect_files(step)
        if step.values["files"]:
            return await step.next(None)
        return await step.prompt(
            FILES,
            PromptOptions(
                prompt=MessageFactory.text(
                    f"Any files for {step.values['ref']}? Attach them now, or say `no files`."
                ),
                retry_prompt=MessageFactory.text(
                    "Attach the file(s) to your next message, or say `no files` (or `cancel`)."
                ),
            ),
        )

    async def _confirm(self, step: WaterfallStepContext) -> DialogTurnResult:
        files = _collect_files(step)
        if len(files) > MAX_FILES:
            raise InspectionError(f"attach at most {MAX_FILES} files to one answer")
        text = step.values["text"]
        if not text and not files:
            raise InspectionError(
                "an answer needs some text or at least one file; say `answer` to start again"
            )
        what = "an answer" if step.values["complete"] else "a partial answer"
        said = f': "{_short(text, 200)}"' if text else ""
        names = ", ".join(f["name"] for f in files)
        with_files = f" with {len(files)} file(s) ({names})" if files else " with no files"
        return await step.prompt(
            CONFIRM,
            PromptOptions(
                prompt=MessageFactory.text(
                    f"Record {what} to {step.values['ref']}{said}{with_files}? (yes / no)"
                ),
                retry_prompt=MessageFactory.text(
                    f"Say `yes` to record the answer to {step.values['ref']}, or `no` to stop."
                ),
            ),
        )

    async def _finish(self, step: WaterfallStepContext) -> DialogTurnResult:
        if not step.result:
            await say(
                step.context,
                f"Nothing was recorded for {step.values['ref']}. Say `answer` when you're ready.",
            )
            return await step.end_dialog()
        answer = {
            "inspection_id": step.values["inspection_id"],
            "request": step.values["ref"],
            "text": step.values["text"],
            "complete": step.values["complete"],
        }
        # Ended first: the recording's reply (and any error in it) closes the conversation.
        result = await step.end_dialog()
        await self._record(step.context, answer, list(step.values["files"]))
        return result

    # --- validators --------------------------------------------------------------------------
    async def _check_text(self, prompt: PromptValidatorContext) -> bool:
        typed = (prompt.recognized.value or "").strip() if prompt.recognized.succeeded else ""
        if not typed and files_of(prompt.context):
            prompt.recognized.value = ""  # only files: they are the answer
            return True
        flagged = prompt.state.get("flagged")
        if flagged and RECORD_ANYWAY.match(typed):
            prompt.recognized.value = flagged
            return True
        if not typed:
            return False
        if len(typed) > MAX_TEXT:
            await say(
                prompt.context,
                f"That answer is {len(typed):,} characters; keep it under {MAX_TEXT:,}, and put "
                "the rest in a file.",
            )
            return False
        validations = getattr(prompt.options, "validations", None)
        inspection_id = validations.get("inspection_id") if isinstance(validations, dict) else None
        findings = (
            await self._requests.check_privacy_of(int(inspection_id), typed)
            if isinstance(inspection_id, int)
            else tuple(check_text(typed))
        )
        if findings:
            # 9.7: nothing is recorded until the person edits the text or confirms it.
            prompt.state["flagged"] = typed
            message = Precheck(tuple(findings)).message().split(" Edit the text")[0]
            await say(
                prompt.context,
                f"Not recorded yet. {message} Type the answer again without it, or say "
                "`record anyway` to keep it as it is.",
            )
            return False  # the warning stands in for the retry prompt (the turn has responded)
        prompt.recognized.value = typed
        return True

    async def _check_files(self, prompt: PromptValidatorContext) -> bool:
        if files_of(prompt.context):
            return True
        typed = (prompt.recognized.value or "") if prompt.recognized.succeeded else ""
        return bool(NO_FILES.match(typed))
