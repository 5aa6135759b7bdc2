"""The timeline as a picture: the inspection's milestones on a calendar strip (past, today, next).

People read a timeline faster than a list of dates. Rendered on the server (matplotlib, Agg: no
display, no global pyplot state), made small (a palette PNG, well under Teams' ~28 KB
message limit) and embedded in the timeline card as a data URI, so it needs no public URL.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from inspection.timeline import Milestone, Timeline

# Short labels for the strip; the card's list below it has the full titles and sources.
SHORT = {
    "notice": "Notice given",
    "notice_latest": "Latest notice",
    "documents_due": "Documents due",
    "pre_inspection_meeting": "Pre-inspection meeting",
    "onsite_start": "On site",
    "final_feedback": "Final feedback",
    "draft_report_due": "Draft report",
    "factual_accuracy_due": "Factual accuracy",
    "publication_due": "Publication",
}
# Shown as the on-site band instead of one marker each.
IN_BAND = {"onsite_start", "onsite_end", "kit_meeting"}
COLOURS = {"past": "#8a8886", "today": "#c4314b", "next": "#e07000", "later": "#4f52b2"}
log = logging.getLogger(__name__)
# Drawing takes ~160 ms of CPU (1.6 s the first time, loading fonts): never on the event loop.
# One worker thread: matplotlib is not made for drawing from several threads at once, and
# the lru cache below makes repeats free anyway. Threads start on first use, not at import.
_DRAWER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="timeline-picture")
_warming: asyncio.Future[None] | None = None


@dataclass(frozen=True)
class Point:
    day: date
    label: str
    phase: str


def _points(timeline: Timeline, today: date) -> tuple[tuple[Point, ...], tuple[date, date] | None]:
    points: list[Point] = []
    onsite: tuple[date, date] | None = None
    start = timeline.find("onsite_start")
    end = timeline.find("onsite_end")
    if start is not None and end is not None:
        onsite = (start.date, end.last_day)
    for milestone in timeline.milestones:
        if milestone.key in IN_BAND and onsite is not None:
            continue
        points.append(Point(milestone.date, _label(milestone), timeline.phase_of(milestone, today)))
    return tuple(points), onsite


def _label(milestone: Milestone) -> str:
    if milestone.key in SHORT:
        return SHORT[milestone.key]
    words = milestone.title.split()
    return " ".join(words[:3]) + ("..." if len(words) > 3 else "")


def timeline_png(timeline: Timeline, today: date) -> bytes:
    """The PNG bytes of the strip (cached: the same timeline on the same day draws once)."""
    points, onsite = _points(timeline, today)
    return _render(points, onsite, today)


def timeline_data_uri(timeline: Timeline, today: date) -> str:
    return "data:image/png;base64," + base64.b64encode(timeline_png(timeline, today)).decode()


def timeline_image(timeline: Timeline, today: date) -> dict[str, Any] | None:
    """The card's Image element, or None if the picture cannot be drawn (the list still is)."""
    try:
        url = timeline_data_uri(timeline, today)
    except Exception:  # a picture is a nicety: never lose the timeline card over it
        log.warning("timeline picture not drawn", exc_info=True)
        return None
    upcoming = timeline.upcoming(today, 1)
    alt = f"Timeline picture: today is {today:%d %b %Y}" + (
        f"; next: {upcoming[0].title} on {upcoming[0].date:%d %b %Y}" if upcoming else ""
    )
    return {"type": "Image", "url": url, "altText": alt, "size": "Stretch"}


async def timeline_image_off_loop(timeline: Timeline, today: date) -> dict[str, Any] | None:
    """`timeline_image`, drawn in the drawing thread while the loop serves other turns."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_DRAWER, timeline_image, timeline, today)


def warm_up() -> None:
    """Draw a small strip once, so that matplotlib's imports and font cache are loaded before
    the first person asks for a timeline."""
    day = date(2026, 1, 5)
    _render((Point(day, "Warm-up", "next"),), None, day)


async def warm_up_context(_app: object) -> AsyncIterator[None]:
    """An aiohttp cleanup context: warm up in the background at start-up (the server answers
    meanwhile); wait for it at shutdown so no drawing thread outlives the app."""
    global _warming
    loop = asyncio.get_running_loop()
    _warming = loop.run_in_executor(_DRAWER, _warm_up_quietly)
    yield
    await asyncio.shield(_warming)


def warming() -> asyncio.Future[None] | None:
    """The start-up warm-up, for tests and health checks (None before the app started)."""
    return _warming


def _warm_up_quietly() -> None:
    try:
        warm_up()
    except Exception:  # the picture is a nicety: a failed warm-up must not stop the app
        log.warning("timeline picture warm-up failed", exc_info=True)


@lru_cache(maxsize=1)
def _palette() -> Any:
    from PIL import Image

    bases = [*COLOURS.values(), "#c8c6c4", "#605e5c", "#000000"]
    colours: list[tuple[int, int, int]] = [(255, 255, 255)]
    for base in bases:
        rgb = tuple(int(base[i : i + 2], 16) for i in (1, 3, 5))
        for share in (1.0, 0.75, 0.5, 0.25):
            colours.append(
                (
                    round(rgb[0] * share + 255 * (1 - share)),
                    round(rgb[1] * share + 255 * (1 - share)),
                    round(rgb[2] * share + 255 * (1 - share)),
                )
            )
    flat = [channel for colour in colours for channel in colour]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + [0] * (768 - len(flat)))
    return palette


@lru_cache(maxsize=64)
def _render(points: Sequence[Point], onsite: tuple[date, date] | None, today: date) -> bytes:
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    days = [p.day for p in points] + [today] + (list(onsite) if onsite else [])
    # Room either side for the labels of the first and last milestones.
    pad = timedelta(days=max(4, round((max(days) - min(days)).days * 0.08)))
    first, last = min(days) - pad, max(days) + pad
    figure = Figure(figsize=(7.2, 2.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.02, 0.2, 0.96, 0.78))
    axes.set_xlim(first, last)  # type: ignore[arg-type]
    axes.set_ylim(-3.2, 3.2)
    axes.axhline(0, color="#c8c6c4", linewidth=6, solid_capstyle="butt", zorder=1)
    # The part already behind us, drawn darker.
    axes.plot([first, min(today, last)], [0, 0], color="#8a8886", linewidth=6, zorder=2)  # type: ignore[arg-type]
    if onsite is not None:
        band = COLOURS["later"] if onsite[1] >= today else COLOURS["past"]
        axes.axvspan(
            onsite[0] - timedelta(hours=12),  # type: ignore[arg-type]
            onsite[1] + timedelta(hours=12),  # type: ignore[arg-type]
            ymin=0.38,
            ymax=0.62,
            color=band,
            alpha=0.9,
            zorder=3,
        )
        axes.annotate(
            f"On site {onsite[0]:%d %b}"
            + (f" to {onsite[1]:%d %b}" if onsite[1] != onsite[0] else ""),
            (onsite[0] + (onsite[1] - onsite[0]) / 2, 0),  # type: ignore[arg-type]
            xytext=(0, 22),
            textcoords="offset points",
            ha="center",
            fontsize=10,
            fontweight="bold",
            color=band,
        )
    for index, point in enumerate(sorted(points, key=lambda p: p.day)):
        colour = COLOURS[point.phase]
        size = 11 if point.phase in ("today", "next") else 8
        axes.plot([point.day], [0], "o", color=colour, markersize=size, zorder=4)  # type: ignore[arg-type]
        # Labels alternate above and below, at two heights, so neighbours do not collide.
        up = index % 2 == 0
        height = (1.2 if index % 4 < 2 else 2.2) * (1 if up else -1)
        axes.plot([point.day, point.day], [0, height * 0.8], color=colour, linewidth=1, zorder=3)  # type: ignore[arg-type]
        axes.annotate(
            point.label + (" (next)" if point.phase == "next" else ""),
            (point.day, height),  # type: ignore[arg-type]
            ha="center",
            va="bottom" if up else "top",
            fontsize=10,
            fontweight="bold" if point.phase in ("today", "next") else "normal",
            color=colour,
        )
    if first <= today <= last:
        axes.axvline(today, color=COLOURS["today"], linewidth=1.5, linestyle="--", zorder=5)  # type: ignore[arg-type]
        axes.annotate(
            f"Today {today:%d %b}",
            (today, -3.1),  # type: ignore[arg-type]
            ha="center",
            va="bottom",
            fontsize=10,
            fontweight="bold",
            color=COLOURS["today"],
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
            zorder=6,
        )
    span = (last - first).days
    if span > 150:
        locator = mdates.MonthLocator()  # type: ignore[no-untyped-call]
        label = "%b %Y"
    else:
        # Every other Monday on a long strip, every Monday on a short one.
        every = 3 if span > 100 else 2 if span > 45 else 1
        locator = mdates.WeekdayLocator(byweekday=mdates.MO, interval=every)  # type: ignore[no-untyped-call, assignment]
        label = "%d %b"
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.DateFormatter(label))  # type: ignore[no-untyped-call]
    axes.tick_params(axis="x", labelsize=9, colors="#605e5c")
    axes.set_yticks([])
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    raw = io.BytesIO()
    figure.savefig(raw, format="png", facecolor="white")
    # A small fixed palette (our colours, and their blends with white for smooth edges) keeps
    # the card small and the colours exact.
    image = Image.open(io.BytesIO(raw.getvalue())).convert("RGB")
    small = image.quantize(palette=_palette(), dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()
