"""Figures for issue 8: how long the demo takes to seed, and the timeline picture's cost and size.

.venv/bin/python bench/demo_and_picture.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.features.inspections.timeline_image import _render, timeline_png
from cli.demo import seed_local_demo
from inspection.frameworks import FrameworkRegistry
from inspection.inspections import timeline_for
from inspection.model import Inspection


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        started = time.perf_counter()
        asyncio.run(seed_local_demo(data))
        first = time.perf_counter() - started
        started = time.perf_counter()
        asyncio.run(seed_local_demo(data))
        again = time.perf_counter() - started
        started = time.perf_counter()
        asyncio.run(seed_local_demo(data, reset=True))
        reset = time.perf_counter() - started
    print(
        f"demo seed (SQLite, migrations included): first {first:.2f} s, "
        f"again (no change) {again:.2f} s, --reset {reset:.2f} s"
    )

    registry = FrameworkRegistry.load()
    inspection = Inspection(
        "jcc-children-social-care",
        "full",
        "Synthetic",
        date(2026, 12, 17),
        date(2026, 12, 23),
        actuals={"notice": date(2026, 11, 17)},
    )
    timeline = timeline_for(inspection, registry)
    started = time.perf_counter()
    png = timeline_png(timeline, date(2026, 11, 23))
    cold = time.perf_counter() - started
    times, sizes = [], []
    for day in range(20):
        _render.cache_clear()
        started = time.perf_counter()
        sizes.append(len(timeline_png(timeline, date(2026, 11, 2) + timedelta(days=day * 5))))
        times.append(time.perf_counter() - started)
    timeline_png(timeline, date(2026, 11, 23))
    started = time.perf_counter()
    timeline_png(timeline, date(2026, 11, 23))
    cached = time.perf_counter() - started
    print(
        f"timeline picture: first render (imports matplotlib) {cold * 1000:.0f} ms, "
        f"then median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
        f"cached {cached * 1e6:.0f} us; PNG {len(png)} bytes "
        f"(range {min(sizes)}-{max(sizes)} over 20 days)"
    )


if __name__ == "__main__":
    main()
