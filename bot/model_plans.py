"""What each msrest model class maps to in JSON, worked out once per class (issue 7).

bot/adapter.py writes reply bodies and bot/activity_json.py reads incoming activities from
these plans instead of msrest's generic walk, which copies each attribute's description and
runs its key transformers or extractors on every call. A plan is given only where msrest does
nothing more than one JSON key per attribute; for anything else both fall back to msrest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msrest.serialization import Model


@dataclass(frozen=True)
class ModelPlan:
    # (attribute, JSON key, msrest type), in the attribute map's order; the key is "" for
    # additional properties, which msrest merges into the object rather than nesting.
    fields: tuple[tuple[str, str, str], ...]
    # The JSON keys of the attributes (what a reader does not count as additional).
    keys: frozenset[str]


_PLANS: dict[object, ModelPlan | None] = {}


def plan_of(model: type[Model]) -> ModelPlan | None:
    """The plan for a model class, or None where msrest does more: flattened or escaped keys,
    read-only or constant attributes, subclasses chosen by a discriminator, a field really
    called additionalProperties."""
    if model not in _PLANS:
        _PLANS[model] = _make(model)
    return _PLANS[model]


def _make(model: type[Model]) -> ModelPlan | None:
    if getattr(model, "_subtype_map", None):
        return None
    validation: dict[str, Any] = getattr(model, "_validation", {}) or {}
    if any(rule.get("readonly") or rule.get("constant") for rule in validation.values()):
        return None
    fields = []
    for attr, desc in model._attribute_map.items():
        key, data_type = desc["key"], desc["type"]
        if attr == "additional_properties":
            if key != "":
                return None
        elif not key or "." in key or "\\" in key:
            return None
        fields.append((attr, key, data_type))
    return ModelPlan(tuple(fields), frozenset(key for _attr, key, _type in fields if key))
