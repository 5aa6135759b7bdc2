"""The timeline picture and the event loop: what a turn waits for, and what everyone else does.

    .venv/bin/python bench/timeline_picture.py [cards]

Draws the first picture (matplotlib's imports and fonts: what the start-up warm-up pays),
then one more, then builds `cards` timeline cards (default 20, each a different day so none
comes from the cache) twice while a 5 ms ticker runs on the loop: drawn on the loop (the old
way) and in the drawing thread (`timeline_card_off_loop`). The ticker's worst lateness is how
long every other conversation would have waited. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import date, timedelta
from pathlib import Path

# Run from anywhere: the repository root, not bench/ (its scripts shadow packages).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bot.features.inspections.cards import timeline_card, timeline_card_off_loop  # noqa: E402
from bot.features.inspections.timeline_image import warm_up  # noqa: E402
from inspection.frameworks import builtin_frameworks  # noqa: E402
from inspection.inspections import timeline_for  # noqa: E402
from inspection.model import Inspection  # noqa: E402

INSPECTION = Inspection(
    "jcc-children-social-care",
    "full",
    "Synthetic Service",
    date(2026, 12, 14),
    date(2026, 12, 18),
    actuals={"notice": date(2026, 11, 16)},
)


async def _ticker(stop: asyncio.Event, worst: list[float]) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(0.005)
        worst[0] = max(worst[0], time.perf_counter() - asked - 0.005)


async def _run(cards: int, off_loop: bool, first_day: date) -> tuple[float, float]:
    timeline = timeline_for(INSPECTION, builtin_frameworks())
    stop, worst = asyncio.Event(), [0.0]
    ticker = asyncio.create_task(_ticker(stop, worst))
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    for n in range(cards):
        today = first_day + timedelta(days=n)
        if off_loop:
            await timeline_card_off_loop(INSPECTION, timeline, today)
        else:
            timeline_card(INSPECTION, timeline, today)
            await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    stop.set()
    await ticker
    return elapsed / cards * 1000, worst[0] * 1000


async def main(cards: int) -> None:
    started = time.perf_counter()
    warm_up()
    first = time.perf_counter() - started
    print(f"first picture (imports, fonts: the start-up warm-up): {first:.2f} s")
    timeline = timeline_for(INSPECTION, builtin_frameworks())
    started = time.perf_counter()
    timeline_card(INSPECTION, timeline, date(2026, 10, 1))
    print(f"one more picture: {(time.perf_counter() - started) * 1000:.0f} ms")
    on_each, on_worst = await _run(cards, False, date(2026, 10, 2))
    off_each, off_worst = await _run(cards, True, date(2026, 10, 2) + timedelta(days=cards))
    for label, each, worst in (("on", on_each, on_worst), ("off", off_each, off_worst)):
        print(
            f"{cards} cards drawn {label} the loop: {each:.0f} ms each, "
            f"loop blocked up to {worst:.0f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
