"""bot/limits.py: the depth limit counts nested objects and lists, not the values in them."""

from __future__ import annotations

from typing import Any

from bot.limits import MAX_JSON_DEPTH, json_depth_exceeds


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for level in range(levels):
        value = {"x": value, "n": level} if level % 2 else [value, level]
    return value


def test_the_limit_is_exact() -> None:
    assert not json_depth_exceeds(_nested(MAX_JSON_DEPTH))
    assert json_depth_exceeds(_nested(MAX_JSON_DEPTH + 1))


def test_scalars_and_wide_shapes_add_no_depth() -> None:
    assert not json_depth_exceeds("text")
    assert not json_depth_exceeds({"a": 1, "b": [1, 2, 3], "c": {"d": None}}, limit=3)
    assert json_depth_exceeds({"a": {"b": {"c": {}}}}, limit=3)
    assert not json_depth_exceeds([[] for _ in range(10_000)], limit=2)
