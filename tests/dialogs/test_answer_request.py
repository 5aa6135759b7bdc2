"""The answer dialog on botbuilder's TestAdapter: each step asks only for what is missing, and
the recorder gets exactly what the person gave."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from botbuilder.core import ConversationState, MemoryStorage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogSet, DialogTurnStatus
from botbuilder.schema import Activity, ActivityTypes, Attachment, ChannelAccount

from bot.features.information_requests.dialogs import DIALOG_ID, AnswerRequestDialog
from inspection.clock import FixedClock
from inspection.frameworks import FrameworkRegistry
from inspection.requests import RequestLog
from tests.fakes.request_log import FakeInspectionRepository, FakeRequestRepository
from tests.inspection.test_requests import DIRECTOR, INSPECTION, LEAD, LINK, OUTSIDER

FILE_TYPE = "application/vnd.microsoft.teams.file.download.info"


class Recorded:
    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

    async def __call__(
        self, context: TurnContext, answer: Mapping[str, Any], files: list[dict[str, Any]]
    ) -> None:
        self.calls.append((dict(answer), files))
        await context.send_activity(f"recorded {answer['request']}")


class Chat:
    """One person talking to the dialog; `say` returns the bot's texts for that message."""

    def __init__(self, log: RequestLog, options: dict[str, Any], who: Any = LINK) -> None:
        self.recorded = Recorded()
        state = ConversationState(MemoryStorage())
        dialogs = DialogSet(state.create_property("dialogs"))
        dialogs.add(AnswerRequestDialog(log, self.recorded))
        self.started = False

        async def logic(context: TurnContext) -> None:
            dialog_context = await dialogs.create_context(context)
            result = await dialog_context.continue_dialog()
            if result.status == DialogTurnStatus.Empty and not self.started:
                self.started = True
                await dialog_context.begin_dialog(DIALOG_ID, options)
            await state.save_changes(context)

        self.adapter = TestAdapter(logic)
        self.who = who

    async def say(self, text: str, *, files: tuple[str, ...] = ()) -> list[str]:
        before = len(self.adapter.activity_buffer)
        activity = Activity(
            type=ActivityTypes.message,
            text=text,
            from_property=ChannelAccount(
                id="29:someone", name=self.who.display_name, aad_object_id=self.who.aad_object_id
            ),
            attachments=[
                Attachment(content_type=FILE_TYPE, name=name, content_url=f"https://x/{name}")
                for name in files
            ]
            or None,
        )
        await self.adapter.receive_activity(activity)
        return [a.text or "" for a in self.adapter.activity_buffer[before:]]


@pytest.fixture
async def log(frameworks: FrameworkRegistry) -> RequestLog:
    clock = FixedClock(datetime(2024, 3, 5, 9, 15, tzinfo=UTC))
    found = RequestLog(
        FakeRequestRepository(), FakeInspectionRepository(INSPECTION), frameworks, clock
    )
    await found.log(1, LEAD, "Minutes of the strategy discussion for CR-104233")
    await found.log(1, LEAD, "Supervision records for CR-3003")
    return found


async def test_everything_missing_is_asked_in_turn(log: RequestLog) -> None:
    chat = Chat(log, {"inspection_id": 1})
    [question] = await chat.say("answer")
    assert question.startswith("Which request are you answering?")
    assert "IR-001" in question and "Supervision records for CR-3003" in question
    [question] = await chat.say("IR-2")
    assert question.startswith("What is the answer to IR-002")
    [question] = await chat.say("Filed in the channel")
    assert question == "Any files for IR-002? Attach them now, or say `no files`."
    [question] = await chat.say("here", files=("a.pdf", "b.docx"))
    assert question == (
        'Record an answer to IR-002: "Filed in the channel" with 2 file(s) (a.pdf, b.docx)? '
        "(yes / no)"
    )
    assert await chat.say("yes") == ["recorded IR-002"]
    [(answer, files)] = chat.recorded.calls
    assert answer == {
        "inspection_id": 1, "request": "IR-002", "text": "Filed in the channel", "complete": True
    }  # fmt: skip
    assert [f["name"] for f in files] == ["a.pdf", "b.docx"]
    assert files[0]["content_url"] == "https://x/a.pdf"


async def test_known_request_and_files_ask_only_for_text(log: RequestLog) -> None:
    files = [{"name": "m.pdf", "content_type": FILE_TYPE, "content_url": None, "content": None}]
    chat = Chat(log, {"inspection_id": 1, "ref": "IR-001", "complete": False, "files": files})
    [question] = await chat.say("IR-001 is partly answered")
    assert "What is the answer to IR-001" in question and "I have 1 file(s)" in question
    [question] = await chat.say("see attached")
    assert question.startswith('Record a partial answer to IR-001: "see attached"')
    await chat.say("y")
    assert chat.recorded.calls[0][0]["complete"] is False


async def test_one_open_request_is_not_asked_about(log: RequestLog) -> None:
    await log.withdraw(1, "IR-002", LEAD)
    chat = Chat(log, {"inspection_id": 1})
    [question] = await chat.say("I've answered a request")
    assert question.startswith("What is the answer to IR-001")


async def test_no_open_requests(log: RequestLog) -> None:
    await log.withdraw(1, "IR-001", LEAD)
    await log.withdraw(1, "IR-002", LEAD)
    chat = Chat(log, {"inspection_id": 1})
    [said] = await chat.say("answer")
    assert said.startswith("There are no open information requests to answer")
    assert await chat.say("IR-001") == []  # the dialog ended


async def test_empty_and_too_long_answers_are_asked_again(log: RequestLog) -> None:
    chat = Chat(log, {"inspection_id": 1, "ref": "IR-001"})
    await chat.say("answer")
    [again] = await chat.say("   ")
    assert again == "Type the answer (or `see attached`), or `cancel` to stop."
    [too_long] = await chat.say("x" * 4001)
    assert "4,001 characters; keep it under 4,000" in too_long
    [question] = await chat.say("fine")
    assert question.startswith("Any files for IR-001?")


async def test_someone_outside_the_inspection_is_told_and_nothing_recorded(
    log: RequestLog,
) -> None:
    chat = Chat(log, {"inspection_id": 1}, who=OUTSIDER)
    [said] = await chat.say("answer")
    assert "you are not part of this inspection" in said and "Nothing was recorded" in said
    assert chat.recorded.calls == []


async def test_no_means_nothing_recorded(log: RequestLog) -> None:
    chat = Chat(log, {"inspection_id": 1, "ref": "IR-001"})
    await chat.say("answer")
    await chat.say("text")
    await chat.say("none")
    [said] = await chat.say("no")
    assert said == "Nothing was recorded for IR-001. Say `answer` when you're ready."
    assert chat.recorded.calls == []


async def test_files_sent_at_any_step_are_kept(log: RequestLog) -> None:
    chat = Chat(log, {"inspection_id": 1})
    await chat.say("answer")
    [question] = await chat.say("IR-001", files=("first.pdf",))
    assert "I have 1 file(s) for it" in question
    # Only a file, no text, when asked for the answer: the file is the answer.
    [question] = await chat.say("", files=("second.pdf",))
    assert question.startswith("Record an answer to IR-001 with 2 file(s) (first.pdf, second.pdf)")
    await chat.say("yes")
    [(answer, files)] = chat.recorded.calls
    assert answer["text"] == "" and [f["name"] for f in files] == ["first.pdf", "second.pdf"]


async def test_their_own_requests_are_offered_first(log: RequestLog) -> None:
    await log.reassign(1, "IR-002", LEAD, DIRECTOR.aad_object_id)
    chat = Chat(log, {"inspection_id": 1}, who=DIRECTOR)
    [question] = await chat.say("answer")
    assert question.index("IR-002") < question.index("IR-001")
    chat = Chat(log, {"inspection_id": 1}, who=LINK)
    [question] = await chat.say("answer")
    assert question.index("IR-001") < question.index("IR-002")
