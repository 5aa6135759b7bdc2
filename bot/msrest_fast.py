"""The one place that relies on msrest's and botframework-connector's internals, to make a turn
cheaper, with a start-up self-check that falls back to the libraries' own path.

botbuilder's connector client is generated msrest code. Measured under load, three of msrest's
generic steps were most of the CPU of a turn that is not spent in the bot itself:
- reading an incoming activity: `Activity().deserialize(body)` builds a deserializer and, for
  each of the 42 attributes of every model, copies its description and runs two key
  extractors;
- writing a reply: msrest's `body` rebuilds the model, then walks every attribute (the unset
  ones too) through its key transformer and serializer;
- sending it: msrest's pipeline runs `requests` in a thread pool.

Here each model class gets a plan once (the JSON key of each attribute), activities are read and
replies written straight from it, and connector calls go out on one shared
`aiohttp.ClientSession` with msrest's own URLs, headers, policies, errors and answer models.
Anything a plan does not cover (flattened or escaped keys, read-only or constant attributes,
polymorphic models, dates, enums, numbers) goes through msrest for that value.

`enabled()` runs the self-check once, at start-up (bot/adapter.py): the internals used here
exist with the shapes expected, and on sample activities the fast reader and writer give what
msrest gives. When anything differs (a new msrest or botbuilder), it logs one warning and
everything uses the libraries' own path. pyproject.toml bounds msrest and
botframework-connector to the minor versions this is tested on.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import aiohttp
import requests
from botbuilder.schema import Activity
from msrest.exceptions import ClientRequestError  # type: ignore[attr-defined]
from msrest.pipeline import (  # type: ignore[attr-defined]
    AsyncHTTPSender,
    AsyncPipeline,
    Request,
    Response,
    SansIOHTTPPolicy,
)
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Deserializer, Model, Serializer, full_restapi_key_transformer
from msrest.universal_http import ClientRequest, HTTPClientResponse
from multidict import CIMultiDict

log = logging.getLogger("bot.msrest_fast")

DEFAULT_TIMEOUT_SECONDS = 100.0  # msrest's own default for a connector call


class _NotSimple(Exception):
    """msrest's full treatment is needed."""


# --- the public surface ----------------------------------------------------------------------
_STATE: dict[str, bool] = {}


def enabled() -> bool:
    """Whether the fast path is on: the self-check, run once per process."""
    if "on" not in _STATE:
        problem = self_check()
        if problem is not None:
            log.warning(
                "msrest fast path off, using the libraries' own path (slower, same results): %s",
                problem,
            )
        _STATE["on"] = problem is None
    return _STATE["on"]


def read_activity(body: dict[str, Any]) -> Activity:
    """An incoming activity, as msrest would read it (its errors too, for a bad body)."""
    if enabled():
        return _read_fast(body)
    return _with_msrest(body)


def speed_up(client: Any, sessions: SharedSession) -> None:
    """Give a new connector client the fast writer and the aiohttp sender (when enabled)."""
    if enabled():
        _serialise_plain_json_directly(client)
        _send_over_aiohttp(client, sessions)


# The activities the self-check reads and writes both ways (synthetic ids, no real people).
_SAMPLES: tuple[dict[str, Any], ...] = (
    {
        "type": "message",
        "id": "1",
        "serviceUrl": "https://smba.example.test/",
        "channelId": "msteams",
        "from": {"id": "29:user", "aadObjectId": "aad-user", "name": "Sample User"},
        "recipient": {"id": "28:bot", "name": "Inspection bot"},
        "conversation": {"id": "19:c@thread.tacv2;messageid=1", "conversationType": "channel"},
        "text": "<at>Inspection bot</at> status",
        "entities": [
            {
                "type": "mention",
                "text": "<at>Inspection bot</at>",
                "mentioned": {"id": "28:bot", "name": "Inspection bot"},
            }
        ],
        "channelData": {"team": {"id": "19:t"}, "channel": {"id": "19:c"}, "tenant": {"id": "t"}},
        "timestamp": "2026-01-05T09:00:00.000Z",
        "locale": "en-GB",
    },
    {
        "type": "message",
        "serviceUrl": "https://smba.example.test/",
        "conversation": {"id": "a:personal"},
        "from": {"id": "29:user"},
        "recipient": {"id": "28:bot"},
        "text": "",
        "value": {"action": "help", "nested": {"list": [1, 2.5, True, None, "x"]}},
        "replyToId": "2",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {"type": "AdaptiveCard", "version": "1.5", "body": []},
            }
        ],
        "extraField": {"kept": "as additional properties"},
    },
)


def self_check() -> str | None:
    """None when the internals are as expected and the fast reader and writer agree with
    msrest on the samples; else what differs."""
    try:
        from botframework.connector.aio import ConnectorClient
        from botframework.connector.auth import MicrosoftAppCredentials

        client = ConnectorClient(MicrosoftAppCredentials(None, None), "https://smba.example.test/")
        current: Any = getattr(client, "_serialize", None)
        if not isinstance(current, Serializer):
            return "the connector client has no msrest Serializer"
        if getattr(client.conversations, "_serialize", None) is not current:
            return "the connector's operations do not share the client's serializer"
        config: Any = getattr(client, "config", None)
        for name in ("pipeline", "credentials", "user_agent_policy", "http_logger_policy"):
            if not hasattr(config, name):
                return f"the connector client's config has no {name}"
        if not isinstance(config.pipeline, AsyncPipeline):
            return "the connector client's pipeline is not msrest's AsyncPipeline"
        if not isinstance(getattr(Activity, "_attribute_map", None), dict):
            return "msrest models have no attribute map"
        dependencies: Any = current.dependencies  # type: ignore[union-attr]
        transformer: Any = current.key_transformer  # type: ignore[union-attr]
        faster = _PlainJsonSerializer(dependencies)  # type: ignore[no-untyped-call]
        faster.key_transformer = transformer
        plain = Serializer(dependencies)  # type: ignore[no-untyped-call]
        plain.key_transformer = transformer
        for sample in _SAMPLES:
            fast = _read_fast(sample)
            slow = _with_msrest(sample)
            if fast.serialize() != slow.serialize() or (
                fast.additional_properties != slow.additional_properties
            ):
                return "reading an activity gives a different result"
            written = faster.body(slow, "Activity")  # type: ignore[no-untyped-call]
            if written != plain.body(slow, "Activity"):  # type: ignore[no-untyped-call]
                return "writing an activity gives a different result"
    except Exception as exc:  # any surprise means: do not rely on these internals
        return f"{type(exc).__name__}: {exc}"
    return None


# --- model plans -------------------------------------------------------------------------------
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


# --- reading activities ------------------------------------------------------------------------
_MODELS = Activity._infer_class_models()
_DESERIALIZER = Deserializer(_MODELS)  # type: ignore[no-untyped-call]

def _read_fast(body: dict[str, Any]) -> Activity:
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


# --- sending over aiohttp -----------------------------------------------------------------------
DEFAULT_TIMEOUT_SECONDS = 100.0  # msrest's own default for a connector call


class SharedSession:
    """One `aiohttp.ClientSession` for every connector client, opened on first use (inside
    the running loop) and closed with the adapter."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # A proxy in the environment is honoured, as requests did. Only then: trusting
            # the environment also makes aiohttp read ~/.netrc in a thread on every request.
            self._session = aiohttp.ClientSession(trust_env=_proxy_configured())
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _proxy_configured() -> bool:
    return any(
        os.environ.get(name)
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")
    )


class _Answer(HTTPClientResponse):  # type: ignore[misc]
    """An aiohttp answer, read in full, in the shape msrest's deserializers expect."""

    def __init__(self, request: ClientRequest, raw: aiohttp.ClientResponse, body: bytes) -> None:
        super().__init__(request, raw)  # type: ignore[no-untyped-call]
        self.status_code = raw.status
        self.headers = CIMultiDict(raw.headers)
        self.reason = raw.reason
        self._body = body

    def body(self) -> bytes:
        return self._body


class AiohttpSender(AsyncHTTPSender[ClientRequest, HTTPClientResponse]):  # type: ignore[misc]
    def __init__(self, sessions: SharedSession, timeout_seconds: float) -> None:
        self._sessions = sessions
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None  # the shared session outlives any one pipeline

    async def send(
        self, request: Request[ClientRequest], **config: Any
    ) -> Response[ClientRequest, HTTPClientResponse]:
        http: ClientRequest = request.http_request
        try:
            async with self._sessions.get().request(
                http.method,
                http.url,
                headers=dict(http.headers),
                data=http.data,
                timeout=self._timeout,
            ) as raw:
                body = await raw.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ClientRequestError("Error occurred in request.", exc) from exc
        return Response(request, _Answer(http, raw, body))


class CredentialsHeader(SansIOHTTPPolicy[ClientRequest, HTTPClientResponse]):  # type: ignore[misc]
    """Sets (or removes) Authorization from the app credentials on every request."""

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials
        # `signed_session` writes the header into a requests session; this one is never used
        # to send anything.
        self._scratch = requests.Session()

    def on_request(self, request: Request[ClientRequest], **kwargs: Any) -> None:
        headers = self._credentials.signed_session(self._scratch).headers
        authorization = headers.get("Authorization")
        if authorization:
            request.http_request.headers["Authorization"] = authorization
        else:
            request.http_request.headers.pop("Authorization", None)


def _send_over_aiohttp(client: Any, sessions: SharedSession) -> bool:
    """Give a botbuilder connector client an aiohttp pipeline; False (client unchanged) when
    it is not the msrest client this expects."""
    config: Any = getattr(client, "config", None)
    if not isinstance(getattr(config, "pipeline", None), AsyncPipeline) or not hasattr(
        config, "credentials"
    ):
        return False
    policies: list[Any] = [config.user_agent_policy]
    if config.credentials is not None:
        policies.append(CredentialsHeader(config.credentials))
    policies += [RawDeserializer(), config.http_logger_policy]
    timeout = getattr(getattr(config, "connection", None), "timeout", None)
    config.pipeline = AsyncPipeline(
        policies, AiohttpSender(sessions, float(timeout or DEFAULT_TIMEOUT_SECONDS))
    )
    return True


# --- writing reply bodies ----------------------------------------------------------------------
class _PlainJsonSerializer(Serializer):  # type: ignore[misc]
    """msrest's serializer, except that a plain JSON value in an `object` field (an Adaptive
    Card's content, channel data) is passed through as it is instead of being rebuilt value by
    value: msrest's generic walk was most of the cost of sending a card (profiled). The
    result is the same: msrest maps every str, int, float, bool, None, list and dict of those
    to an equal value. Anything else (dates, enums, models) still goes through msrest."""

    def serialize_object(self, attr: Any, **kwargs: Any) -> Any:
        if _plain_json(attr):
            return attr
        return super().serialize_object(attr, **kwargs)  # type: ignore[no-untyped-call]

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        """A request body. A model of exactly the declared type, made of models, is written
        directly from its attribute map (below); anything else, or any doubt, goes through
        msrest's `body`, which first rebuilds the model and then walks it calling its key
        transformer and serializer for every attribute, the unset ones included (it
        was most of the cost of sending a reply)."""
        if (
            not kwargs
            and isinstance(data, Model)
            and type(data).__name__ == data_type
            and self.key_transformer is full_restapi_key_transformer
        ):
            try:
                return self._model_json(data)
            except _NotSimple:
                pass
        return super().body(data, data_type, **kwargs)  # type: ignore[no-untyped-call]

    def _model_json(self, model: Model) -> dict[str, Any]:
        out: dict[str, Any] = {}
        plan = plan_of(type(model))
        if plan is None:
            raise _NotSimple
        for attr, key, data_type in plan.fields:
            value = getattr(model, attr, None)
            if value is None:
                continue  # msrest leaves unset attributes out
            if not key:  # additional properties: merged in, as msrest does
                out.update(value)
            else:
                out[key] = self._value_json(value, data_type)
        return out

    def _value_json(self, value: Any, data_type: str) -> Any:
        if data_type == "str" and type(value) is str:
            return value
        if data_type == "object" and _plain_json(value):
            return value
        if data_type.startswith("[") and data_type.endswith("]"):
            if type(value) is not list or any(item is None for item in value):
                raise _NotSimple
            return [self._value_json(item, data_type[1:-1]) for item in value]
        declared = self.dependencies.get(data_type)
        if isinstance(declared, type) and issubclass(declared, Model):
            if not isinstance(value, Model):
                raise _NotSimple  # a dict where a model goes: msrest builds the model
            # Any model is written by its own attribute map (a Mention in an Entity list).
            return self._model_json(value)
        # Dates, numbers, enums, dictionaries: msrest's own.
        return self.serialize_data(value, data_type)  # type: ignore[no-untyped-call]


_PLAIN_SCALARS = (str, int, float, bool, type(None))


def _plain_json(value: Any, depth: int = 0) -> bool:
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return True
    if depth > 64:  # msrest handles (or refuses) anything deeper
        return False
    if kind is dict:
        return all(type(k) is str and _plain_json(v, depth + 1) for k, v in value.items())
    if kind is list:
        return all(_plain_json(item, depth + 1) for item in value)
    return False


def _serialise_plain_json_directly(client: Any) -> None:
    """Give the connector client's operations the serializer above (same models, same
    validation); a client without the expected attributes is left as it is."""
    current = getattr(client, "_serialize", None)
    if not isinstance(current, Serializer) or isinstance(current, _PlainJsonSerializer):
        return
    faster = _PlainJsonSerializer(current.dependencies)  # type: ignore[no-untyped-call]
    # msrest's client-side validation checks each model against its declared constraints
    # before sending (about a third of the serialising cost). Bot Framework activities
    # declare none that the bot's own replies could break, and the connector still validates
    # what it receives.
    faster.client_side_validation = False
    faster.key_transformer = current.key_transformer
    client._serialize = faster
    for group in ("conversations", "attachments"):
        operations = getattr(client, group, None)
        if operations is not None and getattr(operations, "_serialize", None) is current:
            operations._serialize = faster
