"""The feature modules' handlers are module-level functions `(turn, services) -> Reply`:
each importable and callable on its own, with the services the composition root builds."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from app import build_services
from bot.features import FEATURE_MODULES, build_router
from bot.features.checklist import handlers as checklist
from bot.features.information_requests import handlers as information_requests
from bot.router import Reply, Route, Router, Turn, User, friendly_errors
from bot.services import Services
from inspection.clock import FixedClock
from inspection.errors import InspectionError
from inspection.model import Inspection, Member, Role
from inspection.requests import Person
from settings import load_settings

LEAD = Member("00000000-0000-4000-8000-00000000a001", Role.LEAD_INSPECTOR, "Test Lead")
LINK = Member("00000000-0000-4000-8000-00000000b001", Role.LINK_OFFICER, "Test Link")
APOLOGY = "Sorry, something went wrong"


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        MicrosoftAppId="",
        MicrosoftAppPassword="",
    )
    built = build_services(settings, clock=FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    await built.database.migrate()
    try:
        yield built
    finally:
        await built.database.dispose()


async def an_inspection(services: Services) -> Inspection:
    inspection, _ = await services.inspections.create(
        framework="jcc-children-social-care",
        inspection_type="full",
        service_name="Harbour View Children's Home",
        onsite_start=date(2026, 3, 23),
        onsite_end=date(2026, 3, 27),
        notice=date(2026, 2, 23),
        members=(LEAD, LINK),
        allow_late_notice=True,
    )
    return inspection


def turn_of(
    member: Member, inspection: Inspection | None, text: str, args: str = "", **more: Any
) -> Turn:
    return Turn(
        text=text,
        user=User(f"29:{member.aad_object_id}", member.aad_object_id, member.display_name or ""),
        conversation_id=f"personal-{member.aad_object_id}",
        kind="personal",
        inspection=inspection,
        role=inspection.role_of(member.aad_object_id) if inspection else None,
        args=args,
        **more,
    )


async def test_list_requests_is_called_on_its_own(services: Services) -> None:
    inspection = await an_inspection(services)
    lead = Person(LEAD.aad_object_id, "Test Lead")
    logged = await services.requests.log(
        inspection.stored_id, lead, "Supervision notes for CR-104233", confirm=True
    )
    await services.requests.log(inspection.stored_id, lead, "Staff rota for March", confirm=True)
    await services.requests.withdraw(inspection.stored_id, logged.ref, lead, reason="seen")

    reply = await information_requests.list_requests(
        turn_of(LINK, inspection, "requests"), services
    )

    assert reply.text == "1 open requests for Harbour View Children's Home."
    shown = str(reply.card)
    assert "Staff rota for March" in shown and "Supervision notes" not in shown
    everything = await information_requests.list_requests(
        turn_of(LINK, inspection, "requests all", args="all"), services
    )
    assert everything.text == "2 all requests for Harbour View Children's Home."


async def test_a_checklist_handler_is_called_on_its_own(services: Services) -> None:
    inspection = await an_inspection(services)
    item = services.frameworks.get(inspection.framework).required_items()[0]

    reply = await checklist.waive_command(
        turn_of(LINK, inspection, "waive", args=f"{item.title} because not held here"),
        services,
    )

    assert reply.text == f"Recorded: {item.title} is not needed (not held here)."
    state = await services.intake.state(inspection)
    waiver = state.item(item.key).waiver
    assert waiver is not None and waiver.reason == "not held here"
    # Without a reason the handler raises the domain error (the router's middleware makes
    # it the reply), and nothing else is recorded.
    with pytest.raises(InspectionError, match="say which item and why"):
        await checklist.waive_command(
            turn_of(LINK, inspection, "waive", args=f"{item.title} because"), services
        )
    assert (await services.intake.state(inspection)).item(item.key).waiver == waiver


def all_routes(router: Router[Any]) -> list[Route]:
    # No public list of every route kind: the sweep reads the router's tables.
    routes = [*router._commands.values(), *router.intents, *router._actions.values()]
    if router._files is not None:
        routes.append(router._files)
    return [*routes, *router._events.values()]


def test_every_handler_is_a_module_level_function_taking_turn_and_services() -> None:
    router = build_router(None)
    handlers = {route.handler for route in all_routes(router)}
    assert len(handlers) > 40
    for handler in handlers:
        module = importlib.import_module(handler.__module__)
        assert handler.__module__ in FEATURE_MODULES or handler.__module__.startswith(
            "bot.features."
        ), handler
        assert getattr(module, handler.__name__) is handler, f"{handler.__qualname__} is nested"
        assert list(inspect.signature(handler).parameters) == ["turn", "services"], handler


async def test_every_handler_answers_a_turn_it_cannot_serve_with_a_clear_message(
    services: Services,
) -> None:
    """A turn with no inspection, no arguments and no card data: each handler either
    answers or raises a domain error, which `friendly_errors` turns into its message; none
    fails unexpectedly (which would be the apology)."""
    router = build_router(services)
    member = Member("00000000-0000-4000-8000-00000000c001", Role.INSPECTOR, "Test Outsider")
    for route in all_routes(router):
        turn = turn_of(member, None, route.name, data={}, router=router)

        async def call(current: Turn, route: Route = route) -> Reply:
            return await route.handler(current, services)

        reply = await friendly_errors(turn, route, call)
        assert reply.text is None or not reply.text.startswith(APOLOGY), route.name
