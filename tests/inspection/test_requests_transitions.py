"""Every operation from every state: what it leads to, or the refusal and its reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import pytest

from inspection.errors import InspectionError
from inspection.frameworks import FrameworkRegistry
from inspection.requests import InformationRequest, RequestRefused, RequestStatus
from tests.inspection.test_requests import DIRECTOR, LEAD, LINK, World, world

Operation = Callable[[World, str], Awaitable[InformationRequest]]

OPERATIONS: dict[str, Operation] = {
    "answer": lambda w, ref: w.log.answer(1, ref, LINK, "Here it is"),
    "partial answer": lambda w, ref: w.log.answer(1, ref, DIRECTOR, "Part", complete=False),
    "accept": lambda w, ref: w.log.accept(1, ref, LEAD),
    "follow up": lambda w, ref: w.log.follow_up(1, ref, LEAD, "And the rest?"),
    "withdraw": lambda w, ref: w.log.withdraw(1, ref, LEAD),
    "reassign": lambda w, ref: w.log.reassign(1, ref, LEAD, DIRECTOR.aad_object_id),
    "change due": lambda w, ref: w.log.change_due(1, ref, LEAD, date(2024, 3, 8), "leave"),
    "note": lambda w, ref: w.log.add_note(1, ref, LEAD, "internal"),
}

# How to reach each starting state from a freshly logged request.
SETUPS: dict[str, list[str]] = {
    "open": [],
    "open, partly answered": ["partial answer"],
    "answered": ["answer"],
    "accepted": ["answer", "accept"],
    "follow_up": ["answer", "follow up"],
    "withdrawn": ["withdraw"],
}

# state -> operation -> resulting status, or the words of the refusal.
EXPECTED: dict[str, dict[str, str]] = {
    "open": {
        "answer": "answered", "partial answer": "open", "accept": "no answer yet",
        "follow up": "not been answered yet", "withdraw": "withdrawn", "reassign": "open",
        "change due": "open", "note": "open",
    },
    "open, partly answered": {
        "answer": "answered", "partial answer": "open", "accept": "accepted",
        "follow up": "follow_up", "withdraw": "withdrawn", "reassign": "open",
        "change due": "open", "note": "open",
    },
    "answered": {
        "answer": "answered", "partial answer": "answered", "accept": "accepted",
        "follow up": "follow_up", "withdraw": "withdrawn", "reassign": "answered",
        "change due": "answered", "note": "answered",
    },
    "accepted": {
        "answer": "already accepted and is closed", "partial answer": "already accepted",
        "accept": "already closed", "follow up": "follow_up", "withdraw": "cannot be withdrawn",
        "reassign": "cannot be reassigned", "change due": "cannot be given a new due date",
        "note": "accepted",
    },
    "follow_up": {
        "answer": "answered", "partial answer": "follow_up", "accept": "accepted",
        "follow up": "follow_up", "withdraw": "withdrawn", "reassign": "follow_up",
        "change due": "follow_up", "note": "follow_up",
    },
    "withdrawn": {
        "answer": "withdrawn; it needs no answer", "partial answer": "withdrawn; it needs no",
        "accept": "no answer to accept", "follow up": "log a new request instead",
        "withdraw": "already withdrawn", "reassign": "cannot be reassigned",
        "change due": "cannot be given a new due date", "note": "withdrawn",
    },
}  # fmt: skip

CASES = [(state, op, EXPECTED[state][op]) for state in SETUPS for op in OPERATIONS]


def test_the_matrix_covers_every_state_and_operation() -> None:
    assert {s for s, _, _ in CASES} == set(SETUPS)
    assert len(CASES) == len(SETUPS) * len(OPERATIONS) == 48


@pytest.mark.parametrize(("state", "operation", "expected"), CASES)
async def test_transition(
    frameworks: FrameworkRegistry, state: str, operation: str, expected: str
) -> None:
    w = world(frameworks)
    request = await w.log.log(1, LEAD, "Supervision notes for CR-104233")
    for step in SETUPS[state]:
        request = await OPERATIONS[step](w, request.ref)
    before = request
    if expected in {s.value for s in RequestStatus}:
        after = await OPERATIONS[operation](w, request.ref)
        assert after.status.value == expected
        assert after.version == before.version + 1
        assert len(after.history) == len(before.history) + 1
    else:
        with pytest.raises(InspectionError, match=expected) as caught:
            await OPERATIONS[operation](w, request.ref)
        assert isinstance(caught.value, RequestRefused)
        stored = await w.repo.get(1, request.number)
        assert stored == before  # a refusal changes nothing
