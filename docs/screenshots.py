"""Refresh the guides' pictures: the demo's real cards, as Microsoft's Teams emulator renders them.

    .venv/bin/python docs/screenshots.py            # writes docs/images/*.png

It runs `inspection-bot local --demo` (a fresh demo in a temporary folder, the Teams emulator on
free ports), opens the emulator in Debian's Chromium (headless, through Playwright; nothing is
downloaded: install the `chromium` package, never `playwright install`), types each command into
the personal chat as the lead inspector, and saves each reply card. It needs Node.js/npm once,
to install the pinned emulator into local/playground/.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cli.emulator_session import LocalRun  # noqa: E402
from cli.playground import PLAYGROUND_DIR, prepare  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CARD = ".ac-adaptiveCard"


@dataclass(frozen=True)
class Shot:
    name: str
    command: str | None  # typed in the personal chat; None: the greeting on install
    wait_for: str  # text the reply shows once rendered


# Who types in the emulator's page (`local --teams-user`), and what they type.
SHOTS: dict[str, tuple[Shot, ...]] = {
    "lead": (
        Shot("greeting", None, "Type help to see what I can do"),
        # The inspection's welcome card (issue 9): in the emulator the channel's first post
        # cannot be made (its Graph channel is not an emulator channel), so it is asked for.
        Shot("welcome", "welcome", "Required documents (8)"),
        Shot("help", "help", "What I can do"),
        Shot("status", "status", "Status: Harbour View"),
        Shot("checklist", "checklist", "Data Nov.xlsx"),
        Shot("requests", "requests", "IR-005"),
        Shot("reminder", "what's overdue?", "IR-001"),
        Shot("timeline", "timeline", "Timeline: Harbour View"),
    ),
    "link": (
        Shot(
            "link-officer-answers",
            "IR-005 is answered, the audit tool and schedule are in the channel",
            "Answer from Link Officer C",
        ),
        Shot("link-officer-says-which-file", '"Data Nov.xlsx" is the staffing data', "Recorded:"),
    ),
}


async def capture(out: Path) -> list[Path]:
    written: list[Path] = []
    for who, shots in SHOTS.items():
        written.extend(await _capture_as(who, shots, out))
    return written


async def _capture_as(who: str, shots: tuple[Shot, ...], out: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    written: list[Path] = []
    with tempfile.TemporaryDirectory() as scratch:
        run = LocalRun(Path(scratch) / "data", ROOT)
        run.start("--teams-user", who)
        try:
            if not await run.wait_ready():
                raise SystemExit("the local run did not start:\n" + run.output()[-3000:])
            async with async_playwright() as playwright:
                context = await playwright.chromium.launch_persistent_context(
                    str(Path(scratch) / "profile"),  # a fresh --user-data-dir
                    executable_path=str(CHROMIUM),
                    args=CHROMIUM_ARGS,
                    headless=True,
                    viewport={"width": 1400, "height": 2600},
                    device_scale_factor=2,  # crisp text, and the picture at full size
                )
                try:
                    page = context.pages[0] if context.pages else await context.new_page()
                    await page.goto(run.emulator_url)
                    # Hide the emulator's log panel: it repeats what the bot says.
                    await page.locator('[title="Toggle Log Panel"]').click()
                    for shot in shots:
                        written.append(await _shoot(page, shot, out))
                finally:
                    await context.close()
        finally:
            run.stop()
    return written


async def _shoot(page: object, shot: Shot, out: Path) -> Path:
    from playwright.async_api import Page

    assert isinstance(page, Page)
    said = page.get_by_text(shot.wait_for)
    before = await said.count()
    cards_before = await page.locator(CARD).count()
    if shot.command is not None:
        await page.locator("[data-lexical-editor=true]").first.click()
        await page.keyboard.type(shot.command)
        await page.keyboard.press("Enter")
        # The bot's reply (a card, or text) adds one more place on the page saying `wait_for`.
        for _ in range(120):
            if await said.count() > before:
                break
            await page.wait_for_timeout(250)
        else:
            raise SystemExit(f"no reply saying {shot.wait_for!r} to {shot.command!r}")
    reply = page.locator(CARD).filter(has_text=shot.wait_for).last
    if shot.command is not None and await page.locator(CARD).count() == cards_before:
        reply = said.last  # the bot answered in text, not with a card
    await reply.wait_for(timeout=30_000)
    await reply.scroll_into_view_if_needed()
    await page.wait_for_timeout(600)  # images (the timeline picture) finish decoding
    target = out / f"{shot.name}.png"
    box = await reply.bounding_box()
    assert box is not None
    # The reply with the emulator's frame around it: sender, time and the chat background.
    pad = 24
    await page.screenshot(
        path=str(target),
        clip={
            "x": max(box["x"] - pad - 40, 0),
            "y": max(box["y"] - pad - 24, 0),
            "width": max(box["width"], 420) + 2 * pad + 40,
            "height": box["height"] + 2 * pad + 24,
        },
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    prepared = prepare(ROOT / PLAYGROUND_DIR)
    if not prepared.ready:
        raise SystemExit(f"The Teams emulator is not available: {prepared.note}")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(capture(args.out)):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
