"""The manifest's command menus (appPackage/manifest.json `commandLists`) against the router.

Teams offers at most 10 commands per menu, and the bot has more, so each scope's menu is a
choice. Every visible command the router registers is either offered in a scope's menu or
listed below as deliberately left out of it, with why: a new command fails this test until
someone decides where it belongs. (Everything still works when typed; help lists it all.)
"""

from __future__ import annotations

import json
import re

import pytest

from cli.app_package import PACKAGE_DIR, known_commands

TEAMS_MENU_LIMIT = 10
TYPED_OR_ON_A_CARD = "works typed or from a card button; rarer than what the menu offers"

# scope -> command -> why it is not in that scope's menu
LEFT_OUT: dict[str, dict[str, str]] = {
    "team": {
        "switch inspection": "a channel is about its own inspection",
        "set up channel": "run once, and new inspection offers it when needed",
        "move onsite": TYPED_OR_ON_A_CARD,
        "notice given": TYPED_OR_ON_A_CARD,
        "draft sent": TYPED_OR_ON_A_CARD,
        "show": "request cards are in the channel already; show IR-004 works typed",
        "answer": "the link officer answers in a personal chat (files attach there)",
        "close": "the request card's Close button does it",
        "follow up": "the request card's Follow up button does it",
        "withdraw": "the request card's Withdraw button does it",
        "reassign": TYPED_OR_ON_A_CARD,
        "change due": TYPED_OR_ON_A_CARD,
        "note": "inspectors-only notes belong in a personal chat",
        "export requests": "the log is kept in the channel's Files after every change",
        "factual accuracy grid": "posted by itself after draft sent",
        "unwaive": "undoing a waiver is rare",
        "welcome": "posted (and pinned) in the channel at set-up; typed to see it again",
    },
    "personal": {
        "new inspection": "an inspection is set up in the inspectorate's team",
        "set up channel": "a channel command",
        "move onsite": TYPED_OR_ON_A_CARD,
        "notice given": TYPED_OR_ON_A_CARD,
        "draft sent": TYPED_OR_ON_A_CARD,
        "chase": "posts to the channel: used there",
        "request": "logged in the channel, where everyone sees it (7.3: one list)",
        "close": "the request card's Close button does it",
        "follow up": "the request card's Follow up button does it",
        "withdraw": "the request card's Withdraw button does it",
        "reassign": TYPED_OR_ON_A_CARD,
        "change due": TYPED_OR_ON_A_CARD,
        "note": TYPED_OR_ON_A_CARD,
        "export requests": "the log is kept in the channel's Files after every change",
        "factual accuracy grid": "posted by itself after draft sent",
        "unwaive": "undoing a waiver is rare",
        "welcome": "posted (and pinned) in the channel at set-up; typed to see it again",
    },
    "groupChat": {
        "new inspection": "an inspection is set up in the inspectorate's team",
        "set up channel": "a channel command",
        "move onsite": TYPED_OR_ON_A_CARD,
        "notice given": TYPED_OR_ON_A_CARD,
        "draft sent": TYPED_OR_ON_A_CARD,
        "chase": "posts to the channel: used there",
        "request": "logged in the channel, where everyone sees it (7.3: one list)",
        "close": "the request card's Close button does it",
        "follow up": "the request card's Follow up button does it",
        "withdraw": "the request card's Withdraw button does it",
        "reassign": TYPED_OR_ON_A_CARD,
        "change due": TYPED_OR_ON_A_CARD,
        "note": "inspectors-only notes belong in a personal chat",
        "export requests": "the log is kept in the channel's Files after every change",
        "factual accuracy grid": "posted by itself after draft sent",
        "unwaive": "undoing a waiver is rare",
        "welcome": "posted (and pinned) in the channel at set-up; typed to see it again",
    },
}


def _menus() -> dict[str, list[dict[str, str]]]:
    manifest = json.loads((PACKAGE_DIR / "manifest.json").read_text("utf-8"))
    menus: dict[str, list[dict[str, str]]] = {}
    for command_list in manifest["bots"][0]["commandLists"]:
        for scope in command_list["scopes"]:
            assert scope not in menus, f"two command lists for {scope}"
            menus[scope] = command_list["commands"]
    return menus


def test_every_scope_has_a_menu() -> None:
    assert set(_menus()) == {"team", "personal", "groupChat"} == set(LEFT_OUT)


@pytest.mark.parametrize("scope", ["team", "personal", "groupChat"])
def test_menu_and_left_out_cover_the_router_exactly(scope: str) -> None:
    registered = known_commands()
    offered = [command["title"] for command in _menus()[scope]]
    assert len(offered) <= TEAMS_MENU_LIMIT
    assert len(set(offered)) == len(offered), "a command is offered twice"
    left_out = set(LEFT_OUT[scope])
    assert not set(offered) - registered, "the menu offers commands the router does not know"
    assert not set(offered) & left_out, "offered and left out at once"
    assert not left_out - registered, "left out commands that no longer exist: remove them"
    missing = registered - set(offered) - left_out
    assert not missing, f"{scope}: offer these or say why they are left out: {sorted(missing)}"


@pytest.mark.parametrize("scope", ["team", "personal", "groupChat"])
def test_checklist_commands_are_offered(scope: str) -> None:
    offered = {command["title"] for command in _menus()[scope]}
    assert {"checklist", "waive", "sync files", "help", "status"} <= offered


def test_descriptions_show_placeholders_teams_can_display() -> None:
    for scope, commands in _menus().items():
        for command in commands:
            description = command["description"]
            assert 0 < len(description) <= 128, (scope, command["title"])
            assert re.search(r"<[a-zA-Z][^>]*>", description) is None, description
