"""The one router: every command, phrase, card action, message action and install or removal
event the bot understands, built at start-up from the feature modules (bot/features/).

How to add a command (in a feature's `handlers.py`, e.g.
`bot/features/information_requests/handlers.py`):

    from bot.router import Reply, Routes, Turn
    from bot.services import Services

    routes = Routes()

    @routes.command("requests", roles=INSPECTOR_ROLES | PROVIDER_ROLES,
                    help="List information requests", usage="requests [open|overdue|all]")
    async def list_requests(turn: Turn, services: Services) -> Reply:
        inspection = turn.require_inspection()   # resolved before the handler runs
        ...
        return Reply(text="...", card={...})      # Adaptive Card 1.5 JSON, optional

    @routes.intent(r"what'?s outstanding", name="outstanding", roles=..., help="...")
    async def show_outstanding(turn: Turn, services: Services) -> Reply: ...

    @routes.action("close_request", roles=INSPECTOR_ROLES)  # button data {"action": ...}
    async def close_from_card(turn: Turn, services: Services) -> Reply:
        request_id = turn.data_str("request_id")   # tampered/missing data -> clear reply
        return Reply(card=..., update=True)        # replaces the card the button was on

then add the module to `FEATURE_MODULES` in `bot/features/__init__.py` (its order is the
order of `help`).

- A command matches the start of the message, with or without a leading "/", case-insensitive,
  after the bot's @mention is removed; `turn.args` is the rest of the message.
- `roles=None` means anyone, without an inspection; any other value means the turn must be about
  an inspection (resolved from the channel or the conversation, or the user is asked which) and
  the user must hold one of those roles in it. `needs_inspection=True` with `roles=None` asks
  for an inspection without limiting who may use the command (any role in the inspection).
- Handlers return a `Reply`; they never send. `turn.progress(text)` may post an interim
  message during a long command ("setting up files ...").
- Raise a domain `InspectionError` for anything the user got wrong: its message is the reply.
- Outside the inspection's channel, in a group chat or channel that includes people outside
  the inspection, the resolver sends the handler's reply to the asker's personal chat instead
  (`Reply.private`); handlers need do nothing for that.
- To ask a follow-up question, return `Reply(text="Who is ...?", expect="<command so far>")`:
  the same person's next message in that conversation (unless it is a command) is appended to
  `expect` and routed again. The question waits in a dialog (dialogs/follow_up.py), the one
  mechanism for multi-turn input, so the answer may reach another instance or come after a
  restart.
- For a genuinely multi-turn exchange, return `Reply(dialog=DialogStart("answer_request",
  {...}))`: the bot starts that dialog (dialogs/) for this person in this conversation.
- `@router.files(...)`: what to do with a message that carries files and matches nothing else.
"""

from __future__ import annotations

import difflib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, Protocol, TypeVar

from inspection.errors import InspectionError, NotFound, Unavailable
from inspection.model import Inspection, Person, Role

log = logging.getLogger("bot.router")

ConversationKind = Literal["channel", "personal", "groupChat"]
# What a turn is, beyond a message or a card button: the bot installed in a conversation (or
# added to it), removed from it.
Event = Literal["installed", "members_added", "removed"]
S = TypeVar("S")
UNAVAILABLE_REPLY = "I can't reach my records right now, try again in a minute."
# Teams accepts about 28 KB per message; nobody types a command this long.
MAX_COMMAND_CHARS = 2000
# The dialog a `Reply.expect` question waits in (dialogs/follow_up.py).
FOLLOW_UP_DIALOG = "follow_up"
# Ids and versions in card data fit PostgreSQL's integer (and SQLite's); others name nothing.
MAX_CARD_INT = 2**31 - 1
# The card action behind "Did you mean ...?" buttons (bot/features/core/handlers.py).
RUN_COMMAND_ACTION = "run_command"


@dataclass(frozen=True)
class User:
    """Who sent the turn: the Teams user id (29:...), the Entra object id and a display name."""

    teams_id: str
    aad_object_id: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Mention:
    """Another person @mentioned in the message (the bot's own mention is removed)."""

    teams_id: str
    name: str
    text: str  # the mention markup as it appears in the message, e.g. "<at>Sam</at>"


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content_url: str | None = None
    content: Any = None


class TeamsCalls(Protocol):
    """What a handler may ask of Teams about the turn's conversation (bot/teams.py)."""

    async def member(self, teams_id: str) -> Person | None:
        """The person behind a Teams user id (an @mention), None when Teams does not know
        them. Raises Unavailable when Teams cannot be asked just now."""
        ...

    async def members(self) -> frozenset[str] | None:
        """Entra ids of everyone who can read this conversation; None when Teams cannot say."""
        ...

    async def post_to_channel(self, team_id: str, channel_id: str, reply: Reply) -> str | None:
        """A new thread in another channel of a team; the id of its first message."""
        ...


@dataclass(frozen=True)
class DialogStart:
    """Start a multi-turn dialog (dialogs/) with these options. `instead` is said when a
    dialog cannot run where the message came from."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    instead: str = ""


@dataclass(frozen=True)
class Turn:
    """One message (or card button press) as the router sees it: no botbuilder types here."""

    text: str
    user: User
    conversation_id: str
    kind: ConversationKind
    channel_id: str | None = None  # Teams channel id when in a channel
    team_id: str | None = None
    tenant_id: str | None = None
    mentions: tuple[Mention, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    # Data of a card button (Action.Submit / Action.Execute); None for a typed message.
    data: Mapping[str, Any] | None = None
    # The activity holding the card whose button was pressed (for update in place).
    card_activity_id: str | None = None
    # Filled by the router before a handler that needs an inspection runs.
    inspection: Inspection | None = None
    role: Role | None = None
    args: str = ""
    command: str = ""
    progress: Callable[[str], Awaitable[None]] | None = field(default=None, compare=False)
    # Teams, asked about this conversation (None: no Teams behind the turn, as in unit tests).
    teams: TeamsCalls | None = field(default=None, compare=False)
    # Not a message or a button: the conversation event this turn is about.
    event: Event | None = None
    # The router handling this turn (to run another command, or list them for `help`).
    router: Router[Any] | None = field(default=None, compare=False, repr=False)

    def require_inspection(self) -> Inspection:
        if self.inspection is None or self.inspection.id is None:
            raise NotFound("this command needs an inspection; run it in the inspection's channel")
        return self.inspection

    @property
    def inspection_id(self) -> int:
        inspection_id = self.require_inspection().id
        assert inspection_id is not None
        return inspection_id

    def data_str(self, key: str, *, max_length: int = 200) -> str:
        """A text value from the card's data; a missing or odd value is refused clearly."""
        value = (self.data or {}).get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > max_length:
            raise InvalidCardData(key)
        return value.strip()

    def data_int(self, key: str) -> int:
        """A whole number from the card's data (an id, a version). One outside what the
        database stores is the id of nothing (0), so it is answered like an unknown id."""
        value = (self.data or {}).get(key)
        if isinstance(value, bool):
            raise InvalidCardData(key)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip()) if len(value.strip()) <= 19 else MAX_CARD_INT + 1
        if isinstance(value, int):
            return value if 0 <= value <= MAX_CARD_INT else 0
        raise InvalidCardData(key)

    async def say(self, text: str) -> None:
        """An interim message while a long command runs."""
        if self.progress is not None:
            await self.progress(text)


class InvalidCardData(InspectionError):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"That button's data is missing or not valid ({key}). The card may be out of date: "
            "type the command again to get a fresh one."
        )


@dataclass(frozen=True)
class Reply:
    """What a handler wants said: text and/or an Adaptive Card (schema 1.5)."""

    text: str | None = None
    card: dict[str, Any] | None = None
    # Replace the card whose button was pressed instead of posting a new message.
    update: bool = False
    # Or replace a specific earlier message of the bot.
    replaces_message_id: str | None = None
    # Extra messages to post after this one (e.g. a card after a short confirmation).
    more: tuple[Reply, ...] = ()
    # Send to the sender's personal chat with the bot instead of this conversation (the
    # conversation includes people who may not see the inspection's data).
    private: bool = False
    # The bot asked a question: this person's next message in this conversation (if it is not
    # a command of its own) is appended to this text and routed again, e.g.
    # expect='new inspection "X" onsite ... link officer' and the answer "@Sam".
    expect: str | None = None
    # Start a multi-turn dialog after the text/card (if any) is sent.
    dialog: DialogStart | None = None

    def __post_init__(self) -> None:
        if self.text is None and self.card is None and not self.more and self.dialog is None:
            raise ValueError("a Reply needs text, a card or more replies")


# A handler: the turn, and the services the router was built with (bot/services.py).
Handler = Callable[[Turn, Any], Awaitable[Reply]]
RouteKind = Literal["command", "intent", "action", "files", "event"]


@dataclass(frozen=True)
class Route:
    name: str
    handler: Handler
    kind: RouteKind
    roles: frozenset[Role] | None = None
    needs_inspection: bool = False
    help: str = ""
    usage: str = ""
    pattern: re.Pattern[str] | None = None
    hidden: bool = False

    @property
    def wants_inspection(self) -> bool:
        return self.needs_inspection or self.roles is not None


Next = Callable[[Turn], Awaitable[Reply]]
Middleware = Callable[[Turn, Route, Next], Awaitable[Reply]]


def plain_placeholders(usage: str) -> str:
    """`<date>` -> `DATE`: Teams reads `<date>` as an HTML tag and shows nothing."""
    return re.sub(r"<([a-z][a-z ]*)>", lambda m: "-".join(m[1].split()).upper(), usage)


def normalise(text: str) -> str:
    """Lower case, single spaces, no leading slash, no trailing punctuation."""
    text = " ".join(text.replace("\u00a0", " ").split())
    return text.lstrip("/").strip().rstrip("?!. ").lower()


class Routes:
    """A feature module's routes, declared at module level and added to the router at start-up
    (`Router.include`): the same decorators as the router's, remembered in order.

        routes = Routes()

        @routes.command("requests", roles=..., help="List information requests")
        async def list_requests(turn: Turn, services: Services) -> Reply: ...
    """

    def __init__(self) -> None:
        # (the router method, its arguments, the handler), in declaration order.
        self.declared: list[tuple[str, tuple[Any, ...], dict[str, Any], Handler]] = []

    def _declare(self, kind: str, *args: Any, **options: Any) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.declared.append((kind, args, options, handler))
            return handler

        return decorate

    def command(self, name: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._declare("command", name, **options)

    def intent(self, pattern: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._declare("intent", pattern, **options)

    def action(self, name: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._declare("action", name, **options)

    def files(self, **options: Any) -> Callable[[Handler], Handler]:
        return self._declare("files", **options)

    def event(self, name: Event, **options: Any) -> Callable[[Handler], Handler]:
        return self._declare("event", name, **options)


class Router(Generic[S]):
    """Every kind of turn (commands, intents, card actions, message actions, files, and the
    install and removal events), with middleware around them. `services` is what every
    handler receives as its second argument."""

    def __init__(self, services: S) -> None:
        self.services = services
        self._events: dict[str, Route] = {}
        self._commands: dict[str, Route] = {}
        self._intents: list[Route] = []
        self._actions: dict[str, Route] = {}
        self._middleware: list[Middleware] = []
        # A message with files that matches nothing else.
        self._files: Route | None = None

    # --- registration ------------------------------------------------------------------------
    def command(
        self,
        name: str,
        *,
        roles: Collection[Role] | None = None,
        help: str,
        usage: str = "",
        needs_inspection: bool = False,
        hidden: bool = False,
        aliases: Sequence[str] = (),
    ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            for word in (name, *aliases):
                key = normalise(word)
                if key in self._commands:
                    raise ValueError(f"command {key!r} is registered twice")
                self._commands[key] = Route(
                    name=normalise(name),
                    handler=handler,
                    kind="command",
                    roles=frozenset(roles) if roles is not None else None,
                    needs_inspection=needs_inspection,
                    help=help,
                    usage=plain_placeholders(usage or name),
                    hidden=hidden or word != name,
                )
            return handler

        return decorate

    def intent(
        self,
        pattern: str,
        *,
        name: str,
        roles: Collection[Role] | None = None,
        help: str = "",
        needs_inspection: bool = False,
    ) -> Callable[[Handler], Handler]:
        """A natural phrasing matched anywhere in the message (regex, case-insensitive)."""
        compiled = re.compile(pattern, re.IGNORECASE)

        def decorate(handler: Handler) -> Handler:
            self._intents.append(
                Route(
                    name=name,
                    handler=handler,
                    kind="intent",
                    roles=frozenset(roles) if roles is not None else None,
                    needs_inspection=needs_inspection,
                    help=help,
                    pattern=compiled,
                )
            )
            return handler

        return decorate

    def action(
        self,
        name: str,
        *,
        roles: Collection[Role] | None = None,
        needs_inspection: bool = False,
    ) -> Callable[[Handler], Handler]:
        """A card button: its data carries {"action": name, ...}."""

        def decorate(handler: Handler) -> Handler:
            if name in self._actions:
                raise ValueError(f"card action {name!r} is registered twice")
            self._actions[name] = Route(
                name=name,
                handler=handler,
                kind="action",
                roles=frozenset(roles) if roles is not None else None,
                needs_inspection=needs_inspection,
            )
            return handler

        return decorate

    def files(
        self, *, name: str, roles: Collection[Role] | None = None, help: str = ""
    ) -> Callable[[Handler], Handler]:
        """The handler for a message with file attachments that no command or intent takes."""

        def decorate(handler: Handler) -> Handler:
            if self._files is not None:
                raise ValueError("a files handler is registered twice")
            # Matched like an intent: it may finish a question the bot asked.
            self._files = Route(
                name=name,
                handler=handler,
                kind="intent",
                roles=frozenset(roles) if roles is not None else None,
                help=help,
            )
            return handler

        return decorate

    def event(self, name: Event) -> Callable[[Handler], Handler]:
        """What to do when the bot is installed in a conversation, added to one, or removed."""

        def decorate(handler: Handler) -> Handler:
            if name in self._events:
                raise ValueError(f"event {name!r} is registered twice")
            self._events[name] = Route(name=name, handler=handler, kind="event")
            return handler

        return decorate

    def include(self, routes: Routes) -> None:
        """Add a feature module's routes, in the order they were declared."""
        for kind, args, options, handler in routes.declared:
            register: Callable[..., Callable[[Handler], Handler]] = getattr(self, kind)
            register(*args, **options)(handler)

    def use(self, middleware: Middleware) -> None:
        """Add middleware; the first added is the outermost."""
        self._middleware.append(middleware)

    # --- lookup ------------------------------------------------------------------------------
    @property
    def commands(self) -> list[Route]:
        """Visible commands in registration order (the help and the manifest come from here)."""
        return [route for route in self._commands.values() if not route.hidden]

    @property
    def intents(self) -> list[Route]:
        return list(self._intents)

    @property
    def actions(self) -> list[str]:
        return list(self._actions)

    def has_action(self, name: str) -> bool:
        return name in self._actions

    def match(self, text: str) -> tuple[Route, str] | None:
        """The command at the start of `text` (longest name wins) or an intent, with its args."""
        stripped = " ".join(text.replace("\u00a0", " ").split()).lstrip("/").strip()
        lowered = stripped.lower()
        best: tuple[Route, str] | None = None
        best_len = -1
        for key, route in self._commands.items():
            if (lowered == key or lowered.startswith(key + " ")) and len(key) > best_len:
                best, best_len = (route, stripped[len(key) :].strip()), len(key)
        if best is None:
            # "status?" / "help." : a bare command with trailing punctuation.
            bare = normalise(stripped)
            if bare in self._commands:
                best = (self._commands[bare], "")
        if best is not None:
            return best
        for route in self._intents:
            assert route.pattern is not None
            if route.pattern.search(stripped):
                return route, stripped
        return None

    def suggestions(self, text: str, count: int = 3) -> list[str]:
        """The closest command names to what was typed."""
        words = normalise(text).split()
        names = [route.name for route in self.commands]
        candidates: list[str] = []
        for length in (2, 1, 3):
            guess = " ".join(words[:length])
            for name in difflib.get_close_matches(guess, names, n=count, cutoff=0.5):
                if name not in candidates:
                    candidates.append(name)
        return candidates[:count]

    # --- dispatch ----------------------------------------------------------------------------
    async def dispatch_event(self, turn: Turn) -> Reply | None:
        """An install or removal event: its handler's reply, None when nobody handles it."""
        assert turn.event is not None
        route = self._events.get(turn.event)
        if route is None:
            return None
        return await self._run(route, replace(turn, router=self))

    async def dispatch(self, turn: Turn) -> Reply:
        """Route a message, a card button or a message action and return the reply (never
        raises for a user's mistake)."""
        turn = replace(turn, router=self)
        if turn.data is not None and isinstance(turn.data.get("action"), str):
            action_name = turn.data["action"]
            action = self._actions.get(action_name)
            if action is None:
                return Reply(
                    text="That button is not one I know (the card may be from an older version). "
                    "Type `help` to see what I can do."
                )
            return await self._run(action, turn)
        if turn.data is not None and not turn.text.strip():
            return Reply(
                text="That button's data is missing or not valid. Type the command again "
                "to get a fresh card."
            )
        if len(turn.text) > MAX_COMMAND_CHARS:
            return Reply(
                text=f"That message is {len(turn.text):,} characters long; I read commands of up "
                f"to {MAX_COMMAND_CHARS:,}. Send the command on its own, and put long text "
                "(such as a response to a request) in a file."
            )
        files_route = self._files if any(a.name for a in turn.attachments) else None
        if not turn.text.strip():
            if files_route is not None:
                return await self._run(files_route, replace(turn, command=files_route.name))
            return Reply(text="Hello! Type `help` to see what I can do.")
        found = self.match(turn.text)
        if found is None and files_route is not None:
            found = (files_route, turn.text.strip())
        if found is None:
            return self.not_understood(turn.text)
        route, args = found
        return await self._run(route, replace(turn, args=args, command=route.name))

    def not_understood(self, text: str) -> Reply:
        shown = " ".join(text.split())
        if len(shown) > 60:
            shown = shown[:57] + "..."
        close = self.suggestions(text)
        hint = "Did you mean " + " or ".join(f"`{name}`" for name in close) + "? " if close else ""
        message = f'I didn\'t understand "{shown}". {hint}Type `help` for the full list.'
        if not close:
            return Reply(text=message)
        # Unsure what was meant: offer the closest commands as buttons to confirm with one click.
        from bot import cards

        buttons = [cards.submit(name, RUN_COMMAND_ACTION, text=name) for name in close]
        buttons.append(cards.submit("help", RUN_COMMAND_ACTION, text="help"))
        return Reply(text=message, card=cards.card([cards.text(message)], buttons))

    def is_command(self, text: str) -> bool:
        found = self.match(text)
        return found is not None and found[0].kind == "command"

    async def _run(self, route: Route, turn: Turn) -> Reply:
        async def call(index: int, current: Turn) -> Reply:
            if index == len(self._middleware):
                return _asking(await route.handler(current, self.services))
            return await self._middleware[index](current, route, lambda t: call(index + 1, t))

        return await call(0, turn)


def _asking(reply: Reply) -> Reply:
    """A question (`Reply.expect`) waits for its answer in the follow-up dialog."""
    if reply.expect is None:
        return reply
    if reply.dialog is not None:
        raise ValueError("a reply cannot both ask a question and start a dialog")
    return replace(reply, dialog=DialogStart(FOLLOW_UP_DIALOG, {"expect": reply.expect}))


# --- Middleware ------------------------------------------------------------------------------
async def log_turns(turn: Turn, route: Route, call_next: Next) -> Reply:
    """One log line per handled turn: what ran, for whom, how long, the outcome (no content)."""
    started = time.perf_counter()
    outcome = "error"
    try:
        reply = await call_next(turn)
        outcome = "ok"
        return reply
    finally:
        log.info(
            "turn",
            extra={
                "route": route.name,
                "kind": turn.kind,
                "inspection": turn.inspection.id if turn.inspection else None,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "outcome": outcome,
            },
        )


async def friendly_errors(turn: Turn, route: Route, call_next: Next) -> Reply:
    """A domain error becomes its message; anything unexpected is logged and apologised for."""
    try:
        return await call_next(turn)
    except Unavailable:
        return Reply(text=UNAVAILABLE_REPLY)
    except InspectionError as exc:
        return Reply(text=str(exc))
    except Exception:
        log.exception("handler failed", extra={"route": route.name})
        return Reply(
            text="Sorry, something went wrong on my side while doing that. Nothing was changed "
            "that you need to redo; try again, and tell your administrator if it keeps happening."
        )


def describe_roles(roles: Collection[Role]) -> str:
    labels = [role.label for role in Role if role in roles]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " or " + labels[-1]
