"""A bare Microsoft 365 Agents SDK echo agent: the second baseline of bench/load.py.

    .venv/bin/pip install -e '.[bench]'           # microsoft-agents-hosting-aiohttp
    .venv/bin/python bench/agents_echo.py PORT    # normally started by bench/load.py

An `AgentApplication` on the SDK's aiohttp `CloudAdapter` that answers every message with
"Echo: <text>". Nothing is added to what the SDK does: its JWT middleware runs with anonymous
access allowed (the SDK's way of running without Entra credentials, as the botbuilder echo bot
does with an empty app id), the connections give anonymous tokens, state lives in
`MemoryStorage`, and the typing indicator is off (a typing activity would be a second call to
the connector, which the botbuilder echo bot and this bot do not make). The reply goes to the
activity's `serviceUrl`, the bench's loopback connector.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def serve(port: int) -> None:
    from aiohttp import web
    from microsoft_agents.hosting.aiohttp import (
        CloudAdapter,
        jwt_authorization_middleware,
        start_agent_process,
    )
    from microsoft_agents.hosting.core import (
        AgentApplication,
        AgentAuthConfiguration,
        AnonymousTokenProvider,
        ConnectionManager,
        MemoryStorage,
        TurnContext,
        TurnState,
    )

    logging.basicConfig(level=logging.WARNING)
    # Without an app id the SDK warns "App ID is not provided" on every turn (it builds a user
    # token client per turn); writing 10,000 of those to stderr is not the agent's work.
    logging.getLogger("microsoft_agents.hosting.core.connector.client.user_token_client").setLevel(
        logging.ERROR
    )
    auth = AgentAuthConfiguration(anonymous_allowed=True)
    connections = ConnectionManager(
        lambda _config: AnonymousTokenProvider(),
        connections_configurations={"SERVICE_CONNECTION": auth},
    )
    adapter = CloudAdapter(connection_manager=connections)
    agent = AgentApplication[TurnState](
        storage=MemoryStorage(), connection_manager=connections, start_typing_timer=False
    )

    @agent.message()
    async def echo(context: TurnContext, _state: TurnState) -> None:
        await context.send_activity(f"Echo: {context.activity.text}")

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await start_agent_process(request, agent, adapter)
        assert response is not None  # the aiohttp adapter always answers
        return response

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(middlewares=[jwt_authorization_middleware])
    app["agent_configuration"] = auth  # read by the middleware
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    # bench/ itself must not be on the path: bench/request_log.py would shadow `requests`.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: agents_echo.py PORT (a free TCP port on 127.0.0.1)")
    serve(int(sys.argv[1]))
