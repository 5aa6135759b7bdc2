"""Microsoft Graph adapter (msgraph-sdk, azure-identity) and a loopback Graph emulator.

The only package that imports msgraph / kiota / azure-identity. What it offers:

- `graph.workspace.GraphWorkspace`: the domain's `inspection.workspace.ChannelWorkspace` port
  (channel setup, members, delta file sync, download, upload). Build it with
  `graph.wiring.create_directory(settings, database)`.
- `graph.notifications`: `notifications_routes(trigger, client_state)` for
  `POST /api/notifications`, `subscription_trigger(...)`, `SubscriptionManager` (subscribe,
  `renew_due`).
- `graph.sync_job.sync_inspection_files(...)`: the polling job (imports no msgraph).
- `graph.emulator.GraphEmulator`: a Graph-compatible aiohttp server on 127.0.0.1 (port 0),
  channel files kept in a local folder; `python -m graph.emulator --folder DIR --port 0`.
- `graph.client`: settings -> `GraphConfig`, credentials, `build_client`.

Answers are read as JSON through the SDK's pipeline (auth, retry on 429/503/504 honouring
Retry-After, ODataError): the SDK's model parsing costs ~5 s on first use and ~30 ms per item.
"""
