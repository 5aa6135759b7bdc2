"""The privacy corpus (tests/privacy/corpus/): phrasings that name a child and phrasings that
don't, split once, by a fixed hash of each phrasing, into a part to tune the guard on and a
held-out part that only measures it (see corpus/README.md)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

CORPUS = Path(__file__).resolve().parent / "corpus"
# A phrasing is held out when the first 8 hex digits of the SHA-256 of its text (markers
# removed), as a number, leave a remainder below HELD_OUT_PERCENT when divided by 100.
HELD_OUT_PERCENT = 40
_MARK = re.compile(r"\[\[(.+?)\]\]")

Part = Literal["tune", "held_out"]


@dataclass(frozen=True)
class Phrasing:
    text: str
    names: tuple[tuple[int, int], ...]  # where the names are in `text`; empty: a clean text
    part: Part

    @property
    def named(self) -> bool:
        return bool(self.names)


def part_of(text: str) -> Part:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return "held_out" if int(digest[:8], 16) % 100 < HELD_OUT_PERCENT else "tune"


def _unmark(line: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    text = ""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _MARK.finditer(line):
        text += line[position : match.start()]
        spans.append((len(text), len(text) + len(match.group(1))))
        text += match.group(1)
        position = match.end()
    text += line[position:]
    return text, tuple(spans)


def load(name: str) -> list[Phrasing]:
    found: list[Phrasing] = []
    for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, spans = _unmark(line.strip())
        found.append(Phrasing(text, spans, part_of(text)))
    return found


def corpus() -> tuple[list[Phrasing], list[Phrasing]]:
    """(phrasings naming a child, clean phrasings)."""
    return load("named.txt"), load("clean.txt")
