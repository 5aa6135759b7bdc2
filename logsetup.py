"""Structured logs: one JSON object per line, with the request id and inspection id of the work
in hand, and never what people wrote.

- `configure_logging(level, fmt="json", secrets=[...])` once at start (`inspection-bot serve`).
- `request_context(request_id)` / `bind_inspection(id)` set the ids every line then carries
  (contextvars, so concurrent turns never mix them up).
- Redaction, in this order, on every record from every library:
  1. `extra={...}` fields: only names on ALLOWED_FIELDS keep a text value; any other text
     becomes "[redacted]" (numbers, booleans and None pass: they cannot hold a message).
  2. Exceptions keep their traceback and type, never their message (it may quote input).
  3. The message and its arguments are scrubbed of what must never reach a log (9.7:
     children only by case reference, and not even that in logs): case references, e-mail
     addresses, bearer tokens and JWTs, passwords in URLs, the configured secrets, and Teams
     message text quoted by libraries; each line is cut at MAX_MESSAGE_CHARS.
Code must still not log message text on purpose: this is the net under that rule, not the rule.
"""

from __future__ import annotations

import contextvars
import json
import logging
import random
import re
import sys
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

REDACTED = "[redacted]"
MAX_MESSAGE_CHARS = 500

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_inspection_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "inspection_id", default=None
)

# `extra` fields whose text values are safe by construction (names, codes, ids, outcomes).
ALLOWED_FIELDS = frozenset(
    {
        "route",
        "kind",
        "outcome",
        "error",
        "reason",
        "status",
        "method",
        "path",
        "table",
        "action",
        "job",
        "key",
        "framework",
        "inspection",
        "inspection_id",
        "request_id",
        "request",
        "activity_type",
        "channel",
        "backend",
        "event",
        "phase",
        "item",
        "delivery",
        "recipient_kind",
        "conversation_kind",
        "subscription",
        "attempt",
        "ms",
        "seconds",
        "count",
        "rows",
    }
)

# The LogRecord's own attributes: never treated as `extra`.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "taskName",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # 9.7: a child is only ever a case reference; logs carry not even that.
    (re.compile(r"\bCR-?\d{3,}\b", re.IGNORECASE), "CR-[redacted]"),
    (re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b"), "[email]"),
    (re.compile(r"\bBearer\s+[\w.~+/=-]+", re.IGNORECASE), "Bearer [redacted]"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*"), "[jwt]"),
    (re.compile(r"(://[^/\s:@]+:)[^@/\s]+@"), r"\1[redacted]@"),
    (
        re.compile(
            r"((?:password|secret|client_secret|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+", re.I
        ),
        r"\1[redacted]",
    ),
    # Activities quoted whole by libraries ("... 'text': 'what the user typed' ...").
    (re.compile(r"([\"']text[\"']\s*:\s*)([\"']).*?(?<!\\)\2"), r"\1\2[redacted]\2"),
]
_secrets: list[str] = []


# --- context ------------------------------------------------------------------------------------
def new_request_id() -> str:
    """16 hex digits to tie log lines together: unique enough, not a secret, so no system
    call for randomness on every request (profiled: uuid4 was 1.5 % of a turn)."""
    return f"{random.getrandbits(64):016x}"


@contextmanager
def request_context(request_id: str | None = None) -> Iterator[str]:
    """Every log line inside carries this request id (a new one if not given)."""
    rid = request_id or new_request_id()
    token = _request_id.set(rid)
    inspection_token = _inspection_id.set(None)
    try:
        yield rid
    finally:
        _inspection_id.reset(inspection_token)
        _request_id.reset(token)


def bind_inspection(inspection_id: int | None) -> None:
    """From now on in this request (task), log lines carry this inspection id."""
    _inspection_id.set(inspection_id)


def current_request_id() -> str | None:
    return _request_id.get()


# --- redaction ----------------------------------------------------------------------------------
def scrub(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "[secret]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + "...[cut]"
    return text


def _safe_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if key in ALLOWED_FIELDS and isinstance(value, str):
        return scrub(value)
    return REDACTED


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, inspection_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(_message(record)),
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        inspection_id = _inspection_id.get()
        if request_id:
            entry["request_id"] = request_id
        if inspection_id is not None:
            entry["inspection_id"] = inspection_id
        for key, value in record.__dict__.items():
            if key in _RECORD_FIELDS or key.startswith("_") or key in entry:
                continue
            entry[key] = _safe_value(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = _exception(record.exc_info)
        return json.dumps(entry, default=lambda o: REDACTED, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human-readable lines for `inspection-bot local`, scrubbed the same way."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        ids = ""
        if _request_id.get():
            ids += f" req={_request_id.get()}"
        if _inspection_id.get() is not None:
            ids += f" inspection={_inspection_id.get()}"
        line = f"{when} {record.levelname} {record.name}{ids}: {scrub(_message(record))}"
        if record.exc_info and record.exc_info[0] is not None:
            line += "\n" + _exception(record.exc_info)
        return line


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string must not lose the line
        return str(record.msg)


def _exception(exc_info: Any) -> str:
    """The traceback (code locations only) and the exception types, without their messages:
    a message may quote what someone typed, a file's contents, or a SQL statement's
    parameters. Reproduce with the request id instead."""
    kind, value, tb = exc_info
    frames = "".join(traceback.format_tb(tb)) if tb else ""
    text = f"{frames}{kind.__name__} (message withheld)"
    cause = getattr(value, "__cause__", None) or getattr(value, "__context__", None)
    if cause is not None:
        text += f"\n(from {type(cause).__name__})"
    return text


# --- set-up -------------------------------------------------------------------------------------
def configure_logging(
    level: str = "INFO",
    *,
    fmt: Literal["json", "text"] = "json",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Replace the root handlers with one scrubbed handler; returns it (tests read it)."""
    _secrets.clear()
    _secrets.extend(sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True))
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that log request bodies, headers or SQL parameters (a child's name in a note)
    # at DEBUG stay at WARNING, and so does
    # APScheduler, whose INFO lines come once per scheduler and once per job run (the
    # scheduler/ modules log what they start and what each tick did, once).
    noisy_loggers = ("msrest", "urllib3", "azure", "httpx", "aiohttp.access", "msal",
                     "apscheduler", "aiosqlite", "sqlalchemy.engine")  # fmt: skip
    for noisy in noisy_loggers:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler


def secrets_of(settings: Any) -> list[str]:
    """Values in the settings that must never appear in a log: passwords and keys, and the
    password inside the database URL."""
    found: list[str] = []
    for name, value in vars(settings).items():
        lowered = name.lower()
        if isinstance(value, str) and any(
            word in lowered for word in ("password", "secret", "key", "token", "client_state")
        ):
            found.append(value)
    url = getattr(settings, "database_url", "") or ""
    match = re.search(r"://[^/:@]+:([^@/]+)@", url)
    if match:
        found.append(match.group(1))
    return found
