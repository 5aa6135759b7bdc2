"""The guides' pictures: each one the guides show is one `docs/screenshots.py` captures (so a
re-run refreshes it), and the file is there."""

from __future__ import annotations

import re
from pathlib import Path

from docs.screenshots import SHOTS

ROOT = Path(__file__).resolve().parents[2]
GUIDES = [ROOT / "docs" / "user-guide.md", ROOT / "docs" / "admin-guide.md"]
_IMAGE = re.compile(r"!\[[^\]]*\]\(images/([^)]+)\.png\)")


def _shown() -> set[str]:
    return {name for guide in GUIDES for name in _IMAGE.findall(guide.read_text("utf-8"))}


def test_every_picture_the_guides_show_is_captured_and_present() -> None:
    captured = {shot.name for shots in SHOTS.values() for shot in shots}
    shown = _shown()
    assert shown, "no pictures found in the guides"
    assert not shown - captured, (
        f"shown but not captured by docs/screenshots.py: {shown - captured}"
    )
    for name in shown:
        path = ROOT / "docs" / "images" / f"{name}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


def test_the_welcome_picture_is_the_inspections_welcome_card() -> None:
    [shot] = [s for s in SHOTS["lead"] if s.name == "welcome"]
    assert shot.command == "welcome"  # typed: the card itself, not the install greeting
    assert shot.wait_for == "Required documents (8)"  # only the welcome card says this
