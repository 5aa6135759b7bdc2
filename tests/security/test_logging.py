"""Logs are JSON lines with request and inspection ids, and carry no message text, file
contents, case details or secrets: checked on everything the app logs (every library, DEBUG
level) while people talk to it, press buttons, hit errors and send bad requests.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.router import Route, Router, Turn
from logsetup import REDACTED, configure_logging, request_context, scrub, secrets_of
from settings import load_settings
from tests.e2e.conftest import bot, clock  # noqa: F401
from tests.fakes.teams import LINK, BotHarness

# Words nobody would log on purpose: if one appears in the log, something leaked it.
SECRET_WORDS = "purple-elephant-7781"
CASE_REF = "CR-104233"
FILE_TEXT = "Staffing return: night cover by agency worker tangerine-walrus-5512"
PASSWORD = "hunter2-not-a-real-password"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("DEBUG", fmt="json", secrets=[PASSWORD], stream=stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line must be one JSON object


async def test_a_conversation_leaves_no_content_in_the_logs(
    bot: BotHarness,  # noqa: F811
    log_lines: io.StringIO,
) -> None:
    inspection = await bot.inspection()
    await bot.say(f"status {SECRET_WORDS} about {CASE_REF}", as_=LINK, where="channel")
    await bot.say(f"{SECRET_WORDS} please {CASE_REF}", as_=LINK)
    await bot.say(f"move onsite {SECRET_WORDS}", where="channel")  # a bad argument
    await bot.submit({"action": "status", "note": f"{SECRET_WORDS} {CASE_REF}"}, as_=LINK)
    await bot.submit({"action": "no_such_button", "note": SECRET_WORDS})
    payload = bot.activity(f"help {SECRET_WORDS}")
    payload["attachments"] = [
        {"contentType": "text/plain", "name": "return.txt", "content": FILE_TEXT}
    ] * 30  # refused: too many attachments
    await bot.post(payload)
    await bot.post(f'{{"type": "message", "text": "{SECRET_WORDS}"'.encode())  # broken JSON

    text = log_lines.getvalue()
    entries = parsed(log_lines)
    assert entries, "the app should have logged its turns"
    for forbidden in (SECRET_WORDS, CASE_REF, "104233", "tangerine-walrus", PASSWORD):
        assert forbidden not in text, f"{forbidden!r} reached the log"
    turns = [e for e in entries if e["message"] == "turn"]
    assert turns, "every handled turn is logged"
    assert all(e.get("request_id") for e in turns)
    assert len({e["request_id"] for e in turns}) == len(turns), "one request id per request"
    assert any(e.get("inspection_id") == inspection.id for e in turns)


async def test_an_unexpected_error_is_logged_without_its_message(
    bot: BotHarness,  # noqa: F811
    log_lines: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = Router._run

    async def failing(self: Router[Any], route: Route, turn: Turn) -> Any:
        if route.name == "help":

            async def explode(_turn: Turn, _services: Any) -> Any:
                raise ValueError(f"could not read {turn.text} for {CASE_REF}")

            route = Route(name="help", handler=explode, kind="command")
        return await original(self, route, turn)

    monkeypatch.setattr(Router, "_run", failing)
    sent = await bot.say(f"help {SECRET_WORDS}")
    assert "something went wrong" in bot.texts(sent)

    text = log_lines.getvalue()
    assert SECRET_WORDS not in text and CASE_REF not in text
    failures = [e for e in parsed(log_lines) if "exception" in e]
    assert failures and "ValueError (message withheld)" in failures[0]["exception"]
    assert failures[0].get("request_id")


def test_extra_fields_keep_only_safe_text(log_lines: io.StringIO) -> None:
    log = logging.getLogger("tests.logging")
    with request_context("req-123"):
        log.info(
            "request logged",
            extra={"route": "request", "ms": 12.5, "text": SECRET_WORDS, "child": CASE_REF},
        )
    entry = parsed(log_lines)[-1]
    assert entry["request_id"] == "req-123"
    assert entry["route"] == "request" and entry["ms"] == 12.5
    assert entry["text"] == REDACTED and entry["child"] == REDACTED


@pytest.mark.parametrize(
    ("raw", "leak"),
    [
        (f"child {CASE_REF} moved", "104233"),
        ("cr104233 and Cr-55512", "55512"),
        ("sent to link.officer@service.example.org", "link.officer@"),
        ("Authorization: Bearer abc.def-ghi", "abc.def"),
        ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl seen", "eyJzdWIi"),
        ("postgresql://bot:s3cr3t-pw@db.internal/bot", "s3cr3t-pw"),
        ("MicrosoftAppPassword=abcDEF123456", "abcDEF123456"),
        ("{'type': 'message', 'text': 'the words typed', 'id': '1'}", "the words typed"),
        (f"a {PASSWORD} here", PASSWORD),
    ],
)
def test_scrub_removes_what_must_not_be_logged(log_lines: io.StringIO, raw: str, leak: str) -> None:
    assert leak not in scrub(raw)
    logging.getLogger("tests.logging").warning("seen: %s", raw)
    assert leak not in log_lines.getvalue()


def test_secrets_come_from_the_settings_and_never_show() -> None:
    config = load_settings(
        MicrosoftAppPassword=PASSWORD,
        DATABASE_URL="postgresql://bot:db-pass-778899@127.0.0.1/bot",
    )
    found = secrets_of(config)
    assert PASSWORD in found and "db-pass-778899" in found
    assert PASSWORD not in repr(config)


def test_every_line_is_cut_to_a_bounded_length(log_lines: io.StringIO) -> None:
    logging.getLogger("tests.logging").info("x" * 10_000)
    assert len(parsed(log_lines)[-1]["message"]) < 600
