"""The Teams app package: the manifest against the published schema, icons, command menu."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from cli.app_package import PACKAGE_DIR, check_package, known_commands, known_routes, png_size
from cli.main import main

SCHEMA = Path(__file__).parent / "schemas" / "MicrosoftTeams.v1.17.schema.json"
APP_ID = "11111111-2222-4333-8444-555555555555"


def manifest() -> dict[str, object]:
    data: dict[str, object] = json.loads((PACKAGE_DIR / "manifest.json").read_text("utf-8"))
    return data


def test_manifest_matches_the_published_schema() -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(manifest())]
    assert errors == []


def test_schema_catches_a_broken_manifest() -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    broken = {**manifest(), "accentColor": "teal", "bots": [{"scopes": ["everywhere"]}]}
    assert list(jsonschema.Draft4Validator(schema).iter_errors(broken))


def test_bot_scopes_and_manifest_version() -> None:
    data = manifest()
    assert float(str(data["manifestVersion"])) >= 1.17
    bots = data["bots"]
    assert isinstance(bots, list)
    assert set(bots[0]["scopes"]) == {"team", "personal", "groupChat"}


def test_icons_have_the_sizes_teams_requires() -> None:
    assert png_size((PACKAGE_DIR / "color.png").read_bytes()) == (192, 192)
    assert png_size((PACKAGE_DIR / "outline.png").read_bytes()) == (32, 32)


def test_command_menu_matches_the_router() -> None:
    registered = known_commands()
    bots = manifest()["bots"]
    assert isinstance(bots, list)
    offered = {
        command["title"]
        for command_list in bots[0]["commandLists"]
        for command in command_list["commands"]
    }
    assert offered <= registered
    assert {"status", "timeline", "new inspection", "help"} <= offered
    check_package(PACKAGE_DIR, *known_routes())  # the packaging check agrees


def test_message_actions_are_router_actions() -> None:
    _commands, actions = known_routes()
    extensions = manifest().get("composeExtensions") or []
    assert isinstance(extensions, list)
    ids = {c["id"] for e in extensions for c in e["commands"]}
    assert ids and ids <= set(actions)


def test_command_menu_offering_an_unknown_command_is_refused(tmp_path: Path) -> None:
    data = manifest()
    bots = data["bots"]
    assert isinstance(bots, list)
    bots[0]["commandLists"][0]["commands"].append({"title": "self destruct", "description": "x"})
    (tmp_path / "manifest.json").write_text(json.dumps(data), "utf-8")
    for name in ("color.png", "outline.png"):
        (tmp_path / name).write_bytes((PACKAGE_DIR / name).read_bytes())
    with pytest.raises(Exception, match="'self destruct', which the bot does not know"):
        check_package(tmp_path, *known_routes())


def test_package_app_writes_a_zip_with_the_real_app_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "app.zip"
    assert main(["package-app", "--app-id", APP_ID, "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(archive.read("manifest.json"))
    assert packaged["id"] == APP_ID
    assert packaged["bots"][0]["botId"] == APP_ID


def test_package_app_needs_a_real_app_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MicrosoftAppId", "")
    assert main(["package-app", "--out", str(tmp_path / "a.zip")]) == 2
    assert "give the bot's Microsoft App id" in capsys.readouterr().err
    assert main(["package-app", "--app-id", "bot-1", "--out", str(tmp_path / "a.zip")]) == 2
    assert "is not a Microsoft App id" in capsys.readouterr().err
