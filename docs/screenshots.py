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


SHOTS = (
    Shot("welcome", None, "Type help to see what I can do"),
    Shot("help", "help", "What I can do"),
    Shot("status", "status", "Status: Harbour View"),
    Shot("checklist", "checklist", "Data Nov.xlsx"),
    Shot("requests", "requests", "IR-005"),
    Shot("reminder", "what's overdue?", "IR-001"),
    Shot("timeline", "timeline", "Timeline: Harbour View"),
)


async def capture(out: Path, shots: tuple[Shot, ...] = SHOTS) -> list[Path]:
    from playwright.async_api import async_playwright

    written: list[Path] = []
    with tempfile.TemporaryDirectory() as scratch:
        run = LocalRun(Path(scratch) / "data", ROOT)
        run.start()
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
    before = await page.locator(CARD).count()
    if shot.command is not None:
        await page.locator("[data-lexical-editor=true]").first.click()
        await page.keyboard.type(shot.command)
        await page.keyboard.press("Enter")
        await page.wait_for_function(
            f"document.querySelectorAll({CARD!r}).length > {before}", timeout=30_000
        )
    card = page.locator(CARD).filter(has_text=shot.wait_for).last
    await card.wait_for(timeout=30_000)
    await card.scroll_into_view_if_needed()
    await page.wait_for_timeout(600)  # images (the timeline picture) finish decoding
    target = out / f"{shot.name}.png"
    box = await card.bounding_box()
    assert box is not None
    # The card with the emulator's frame around it: sender, time and the chat background.
    pad = 24
    await page.screenshot(
        path=str(target),
        clip={
            "x": max(box["x"] - pad - 40, 0),
            "y": max(box["y"] - pad - 24, 0),
            "width": box["width"] + 2 * pad + 40,
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
