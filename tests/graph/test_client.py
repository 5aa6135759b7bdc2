"""Credentials and base URL: chosen from the settings, refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.client import GraphConfig, StaticTokenCredential, build_client, make_credential
from graph.wiring import wants_local_emulator
from inspection.errors import ConfigurationError
from settings import load_settings


def test_loopback_uses_a_static_token() -> None:
    credential = make_credential(GraphConfig(base_url="http://127.0.0.1:5000/v1.0"))
    assert isinstance(credential, StaticTokenCredential)
    assert credential.get_token("https://graph.microsoft.com/.default").token


def test_a_static_token_is_refused_for_real_graph() -> None:
    with pytest.raises(ConfigurationError, match="only works with a loopback GRAPH_BASE_URL"):
        make_credential(GraphConfig(credential="static"))


def test_client_secret_credential_is_chosen_when_a_secret_is_set() -> None:
    from azure.identity.aio import ClientSecretCredential

    config = GraphConfig(tenant_id="tenant", client_id="app", client_secret="s3cret")
    assert isinstance(make_credential(config), ClientSecretCredential)


def test_client_secret_needs_tenant_and_client_ids() -> None:
    with pytest.raises(ConfigurationError, match=r"GRAPH_TENANT_ID.*GRAPH_CLIENT_ID"):
        make_credential(GraphConfig(credential="client_secret", client_secret="x"))


def test_certificate_file_must_exist(tmp_path: Path) -> None:
    config = GraphConfig(
        credential="certificate",
        tenant_id="t",
        client_id="c",
        certificate_path=tmp_path / "missing.pem",
    )
    with pytest.raises(ConfigurationError, match=r"GRAPH_CERTIFICATE_PATH .* is not a readable"):
        make_credential(config)


def test_managed_identity_without_secrets() -> None:
    from azure.identity.aio import DefaultAzureCredential

    assert isinstance(make_credential(GraphConfig()), DefaultAzureCredential)


def test_plain_http_is_refused_except_on_loopback() -> None:
    with pytest.raises(ConfigurationError, match="only https is allowed"):
        build_client(GraphConfig(base_url="http://graph.example.org/v1.0", credential="auto"))
    with pytest.raises(ConfigurationError, match="is not a URL"):
        build_client(GraphConfig(base_url="graph"))
    client = build_client(GraphConfig(base_url="http://localhost:1234/v1.0/"))
    assert client.request_adapter.base_url == "http://localhost:1234/v1.0"


def test_settings_map_onto_the_graph_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPH_BASE_URL", "http://127.0.0.1:9/v1.0/")
    monkeypatch.setenv("GRAPH_TEAM_ID", "team-1")
    monkeypatch.setenv("GRAPH_CHANNEL_MEMBERSHIP", "standard")
    monkeypatch.setenv("MicrosoftAppId", "app-id")
    config = GraphConfig.from_settings(load_settings())
    assert config.base_url == "http://127.0.0.1:9/v1.0"
    assert (config.team_id, config.membership_type, config.client_id) == (
        "team-1",
        "standard",
        "app-id",
    )


def test_local_emulator_only_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GRAPH_BASE_URL", "GRAPH_CLIENT_SECRET", "MicrosoftAppPassword"):
        monkeypatch.delenv(name, raising=False)
    assert wants_local_emulator(load_settings())
    monkeypatch.setenv("GRAPH_CLIENT_ID", "app")
    monkeypatch.setenv("GRAPH_CLIENT_SECRET", "secret")
    assert not wants_local_emulator(load_settings())


def test_a_bad_time_zone_is_named() -> None:
    with pytest.raises(ConfigurationError, match="GRAPH_TIMEZONE 'Mars/Base'"):
        _ = GraphConfig(timezone="Mars/Base").zone


async def test_local_graph_starts_an_emulator_when_no_azure_is_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from graph.wiring import local_graph

    for name in ("GRAPH_BASE_URL", "GRAPH_CLIENT_SECRET", "MicrosoftAppPassword"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRAPH_EMULATOR_FOLDER", str(tmp_path / "files"))
    settings = load_settings()
    async with local_graph(settings, watch_seconds=3600) as local:
        assert local.graph_base_url.startswith("http://127.0.0.1:")
        assert local.graph_team_id
        assert wants_local_emulator(settings) and not wants_local_emulator(local)
    monkeypatch.setenv("GRAPH_BASE_URL", "https://graph.example.org/v1.0")
    real = load_settings()
    async with local_graph(real) as same:
        assert same is real
