"""The router on its own: matching, help, suggestions, middleware, errors."""

from __future__ import annotations

import pytest

from bot.router import (
    MAX_COMMAND_CHARS,
    Reply,
    Route,
    Router,
    Turn,
    User,
    friendly_errors,
)
from inspection.errors import PlanningError, Unavailable
from inspection.model import Role


def make_turn(text: str, data: dict[str, object] | None = None) -> Turn:
    return Turn(
        text=text,
        user=User("29:u", "aad-u", "Test User"),
        conversation_id="a:c",
        kind="personal",
        data=data,
    )


def router_with_commands() -> Router[None]:
    router: Router[None] = Router(None)
    router.use(friendly_errors)

    @router.command("status", help="Show status")
    async def status(turn: Turn, _services: None) -> Reply:
        return Reply(text=f"status [{turn.args}]")

    @router.command("notice given", help="Record notice", roles={Role.LEAD_INSPECTOR})
    async def notice(turn: Turn, _services: None) -> Reply:
        return Reply(text=f"notice [{turn.args}]")

    @router.command("notice", help="Something shorter")
    async def short(turn: Turn, _services: None) -> Reply:
        return Reply(text=f"short [{turn.args}]")

    @router.command("fail", help="Fails")
    async def fail(turn: Turn, _services: None) -> Reply:
        raise PlanningError("the dates do not work; give later ones")

    @router.command("down", help="Database down")
    async def down(turn: Turn, _services: None) -> Reply:
        raise Unavailable("db")

    @router.command("crash", help="A bug")
    async def crash(turn: Turn, _services: None) -> Reply:
        raise RuntimeError("secret internals")

    @router.intent(r"what'?s outstanding", name="outstanding", help="what's outstanding?")
    async def outstanding(turn: Turn, _services: None) -> Reply:
        return Reply(text="outstanding")

    return router


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status", "status []"),
        ("/status", "status []"),
        ("STATUS now", "status [now]"),
        ("status?", "status []"),
        ("notice given 2 March", "notice [2 March]"),  # the longest name wins
        ("notice 2 March", "short [2 March]"),
        ("so what's outstanding?", "outstanding"),
        ("statusreport", None),
    ],
)
async def test_matching(text: str, expected: str | None) -> None:
    router = router_with_commands()
    reply = await router.dispatch(make_turn(text))
    if expected is None:
        assert reply.text is not None and reply.text.startswith("I didn't understand")
    else:
        assert reply.text == expected


async def test_unknown_suggests_closest() -> None:
    reply = await router_with_commands().dispatch(make_turn("stauts"))
    assert reply.text is not None
    assert "Did you mean `status`" in reply.text


async def test_errors_become_replies() -> None:
    router = router_with_commands()
    assert (
        await router.dispatch(make_turn("fail"))
    ).text == "the dates do not work; give later ones"
    down = await router.dispatch(make_turn("down"))
    assert down.text == "I can't reach my records right now, try again in a minute."
    crash = await router.dispatch(make_turn("crash"))
    assert crash.text is not None and "secret" not in crash.text
    assert "something went wrong on my side" in crash.text


async def test_long_and_empty_messages() -> None:
    router = router_with_commands()
    long = await router.dispatch(make_turn("status " + "x" * MAX_COMMAND_CHARS))
    assert long.text is not None and "characters long" in long.text
    empty = await router.dispatch(make_turn(""))
    assert empty.text is not None and "help" in empty.text


async def test_middleware_order_and_route_visible() -> None:
    router: Router[None] = Router(None)
    seen: list[str] = []

    async def outer(turn: Turn, route: Route, call_next):  # type: ignore[no-untyped-def]
        seen.append(f"outer:{route.name}")
        return await call_next(turn)

    async def inner(turn: Turn, route: Route, call_next):  # type: ignore[no-untyped-def]
        seen.append("inner")
        return await call_next(turn)

    router.use(outer)
    router.use(inner)

    @router.command("ping", help="Ping")
    async def ping(turn: Turn, _services: None) -> Reply:
        seen.append("handler")
        return Reply(text="pong")

    assert (await router.dispatch(make_turn("ping"))).text == "pong"
    assert seen == ["outer:ping", "inner", "handler"]


def test_registry_drives_help_and_refuses_duplicates() -> None:
    router = router_with_commands()
    assert [r.name for r in router.commands][:3] == ["status", "notice given", "notice"]
    with pytest.raises(ValueError, match="registered twice"):
        router.command("status", help="again")(router.commands[0].handler)


async def test_card_data_helpers_refuse_tampering() -> None:
    turn = make_turn("", data={"n": "12", "b": True, "s": "x" * 500, "ok": " fine "})
    assert turn.data_int("n") == 12
    assert turn.data_str("ok") == "fine"
    for key in ("b", "missing"):
        with pytest.raises(Exception, match=f"not valid \\({key}\\)"):
            turn.data_int(key)
    with pytest.raises(Exception, match="not valid \\(s\\)"):
        turn.data_str("s")


def test_reply_needs_content() -> None:
    with pytest.raises(ValueError):
        Reply()
