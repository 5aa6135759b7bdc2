"""The timeline picture: a small PNG on the timeline card, with past, today and next marked."""

from __future__ import annotations

import base64
import io
from datetime import date

import pytest
from PIL import Image

from bot.features.inspections import timeline_image as module
from bot.features.inspections.cards import timeline_card
from bot.features.inspections.timeline_image import COLOURS, timeline_png
from inspection.frameworks import FrameworkRegistry
from inspection.inspections import timeline_for
from inspection.model import Inspection

INSPECTION = Inspection(
    "jcc-children-social-care",
    "full",
    "Synthetic Service",
    date(2026, 12, 17),
    date(2026, 12, 23),
    actuals={"notice": date(2026, 11, 17)},
)


def _colours(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    found = image.getcolors(maxcolors=1 << 16) or []
    return {(int(c[0]), int(c[1]), int(c[2])) for _, c in found if isinstance(c, tuple)}


def _near(colours: set[tuple[int, int, int]], hex_colour: str, tolerance: int = 24) -> bool:
    want = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return any(all(abs(a - b) <= tolerance for a, b in zip(c, want, strict=True)) for c in colours)


def test_png_is_small_and_marks_today_and_next(frameworks: FrameworkRegistry) -> None:
    timeline = timeline_for(INSPECTION, frameworks)
    png = timeline_png(timeline, date(2026, 11, 23))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) < 20_000  # Teams refuses messages over about 28 KB
    image = Image.open(io.BytesIO(png))
    assert image.size == (720, 260)
    colours = _colours(png)
    assert _near(colours, COLOURS["today"])
    assert _near(colours, COLOURS["next"])
    assert _near(colours, COLOURS["past"])


def test_after_the_last_milestone_nothing_is_next(frameworks: FrameworkRegistry) -> None:
    timeline = timeline_for(INSPECTION, frameworks)
    colours = _colours(timeline_png(timeline, date(2027, 6, 1)))
    assert not _near(colours, COLOURS["next"])
    assert not _near(colours, COLOURS["later"], tolerance=10)


def test_timeline_card_carries_the_picture(frameworks: FrameworkRegistry) -> None:
    timeline = timeline_for(INSPECTION, frameworks)
    card = timeline_card(INSPECTION, timeline, date(2026, 11, 23))
    images = [block for block in card["body"] if block.get("type") == "Image"]
    assert len(images) == 1
    prefix = "data:image/png;base64,"
    assert images[0]["url"].startswith(prefix)
    assert base64.b64decode(images[0]["url"][len(prefix) :]).startswith(b"\x89PNG")
    assert "Required documents uploaded" in images[0]["altText"]


def test_card_survives_a_picture_that_cannot_be_drawn(
    frameworks: FrameworkRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> str:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(module, "timeline_data_uri", broken)
    timeline = timeline_for(INSPECTION, frameworks)
    card = timeline_card(INSPECTION, timeline, date(2026, 11, 23))
    assert not [block for block in card["body"] if block.get("type") == "Image"]
    assert any("Required documents" in str(block) for block in card["body"])
