"""Incoming activity JSON to botbuilder's `Activity`, without msrest's generic walk (issue 7).

`Activity().deserialize(body)` builds a new msrest `Deserializer` and, for each of the 42
attributes of every model in the activity, copies the attribute's description, runs two key
extractors and dispatches on the declared type; under load that was about 6 % of a turn. Here
each model class gets a plan once (bot/model_plans.py) and a JSON object is read straight
from it, giving the same models, values and additional properties. Anything the plan
does not cover (flattened or escaped keys, read-only or constant attributes, polymorphic
models, a value of an unexpected shape) is handed to msrest's own deserializer, for that value
or for the whole activity; dates, enums, numbers and free-form objects always are.
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model

from bot.model_plans import plan_of

_MODELS = Activity._infer_class_models()
_DESERIALIZER = Deserializer(_MODELS)  # type: ignore[no-untyped-call]


class _NotSimple(Exception):
    """msrest's full treatment is needed."""


def read_activity(body: dict[str, Any]) -> Activity:
    """The activity msrest would make from `body` (its errors too, for a bad body)."""
    try:
        activity = _model(Activity, body)
    except _NotSimple:
        return _with_msrest(body)
    assert isinstance(activity, Activity)
    return activity


def _with_msrest(body: dict[str, Any]) -> Activity:
    activity = _DESERIALIZER("Activity", body)
    assert isinstance(activity, Activity)
    return activity


def _model(model: type[Model], data: Any) -> Model:
    plan = plan_of(model)
    if plan is None or type(data) is not dict:
        raise _NotSimple
    values = {attr: _value(data.get(key), data_type) for attr, key, data_type in plan.fields if key}
    made = model(**values)
    extra = {key: data[key] for key in data.keys() - plan.keys}
    if extra:
        made.additional_properties = extra
    return made


def _value(raw: Any, data_type: str) -> Any:
    if raw is None:
        return None
    if data_type == "str" and type(raw) is str:
        return raw
    if data_type.startswith("[") and data_type.endswith("]"):
        if type(raw) is not list:
            raise _NotSimple
        return [_value(item, data_type[1:-1]) for item in raw]
    declared = _MODELS.get(data_type)
    if isinstance(declared, type) and issubclass(declared, Model):
        return _model(declared, raw)
    # Dates, enums, numbers, booleans, free-form objects, dictionaries: msrest's own.
    return _DESERIALIZER.deserialize_data(raw, data_type)  # type: ignore[no-untyped-call]
