"""Teams-shaped activity JSON, as Teams sends it (ids and names are synthetic)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def load(name: str) -> dict[str, Any]:
    """A fresh copy of `<name>.json`."""
    data: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(data)
