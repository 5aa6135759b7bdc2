"""`inspection-bot package-app`: the Teams app package (manifest + icons) as a zip to upload.

The manifest in `appPackage/` carries a placeholder id; the package gets the bot's real
Microsoft App id. Before zipping, the icons' sizes and the command menu are checked: every
command the manifest offers must be one the bot's router knows.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any

from cli.common import CliError, settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "appPackage"
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
ICON_SIZES = {"color": 192, "outline": 32}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("package-app", help="zip the Teams app package for upload")
    parser.add_argument(
        "--app-id", help="the bot's Microsoft App id (default: the MicrosoftAppId setting)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("build/appPackage.zip"), help="where to write the zip"
    )
    parser.add_argument("--source", type=Path, default=PACKAGE_DIR, help=argparse.SUPPRESS)
    parser.set_defaults(handler=_package)


def _package(args: argparse.Namespace) -> int:
    try:
        app_id = args.app_id or settings().microsoft_app_id
        written = build_package(args.source, args.out, app_id)
    except CliError as exc:
        sys.stderr.write(f"inspection-bot: error: {exc}\n")
        return 2
    sys.stdout.write(f"Wrote {written}: upload it in Teams (Apps > Manage your apps).\n")
    return 0


def png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def check_package(
    source: Path, router_commands: set[str] | None = None, router_actions: set[str] | None = None
) -> dict[str, Any]:
    """The manifest, after checking what Teams would refuse; raises CliError naming it."""
    manifest_path = source / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"{manifest_path}: cannot read it ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{manifest_path}: not valid JSON ({exc})") from None
    for kind, size in ICON_SIZES.items():
        name = manifest.get("icons", {}).get(kind)
        if not isinstance(name, str):
            raise CliError(f"{manifest_path}: icons.{kind} is missing")
        try:
            found = png_size((source / name).read_bytes())
        except OSError:
            raise CliError(f"the {kind} icon {source / name} does not exist") from None
        if found != (size, size):
            raise CliError(f"the {kind} icon {name} must be a {size}x{size} PNG, not {found}")
    if router_commands is None or router_actions is None:
        router_commands, router_actions = known_routes()
    for bot in manifest.get("bots", []):
        for command_list in bot.get("commandLists", []):
            for command in command_list.get("commands", []):
                title = str(command.get("title", "")).lower()
                if title not in router_commands:
                    raise CliError(
                        f"{manifest_path}: the command menu offers {title!r}, which the bot does "
                        "not know; remove it or declare it in a feature's routes (bot/features)"
                    )
    for extension in manifest.get("composeExtensions", []):
        for command in extension.get("commands", []):
            if command.get("id") not in router_actions:
                raise CliError(
                    f"{manifest_path}: the message action {command.get('id')!r} is not a card "
                    "action the bot knows; register it with router.action"
                )
    return manifest


def known_commands() -> set[str]:
    return known_routes()[0]


def known_routes() -> tuple[set[str], set[str]]:
    """Every command and card action the bot's router registers (services are never used)."""
    from app import build_services
    from bot.features import build_router

    config = settings().model_copy(
        update={
            "database_url": "sqlite+aiosqlite:///:memory:",
            "microsoft_app_id": "",
            "microsoft_app_password": "",
        }
    )
    router = build_router(build_services(config))
    return {route.name for route in router.commands}, set(router.actions)


def build_package(source: Path, out: Path, app_id: str) -> Path:
    if not app_id:
        raise CliError(
            "give the bot's Microsoft App id (--app-id, or set MicrosoftAppId); Teams installs "
            "the package for that bot"
        )
    if not _GUID.match(app_id):
        raise CliError(f"{app_id!r} is not a Microsoft App id (a GUID such as {PLACEHOLDER_ID})")
    manifest = check_package(source)
    manifest["id"] = app_id
    for bot in manifest.get("bots", []):
        bot["botId"] = app_id
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for kind in ICON_SIZES:
            name = manifest["icons"][kind]
            archive.write(source / name, arcname=name)
    return out
