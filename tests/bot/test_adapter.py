"""Bot Framework settings are checked before anything starts; clients are reused per turn."""

from __future__ import annotations

import pytest

from bot.adapter import build_adapter, check_bot_settings
from cli.main import main
from inspection.errors import ConfigurationError
from settings import load_settings

APP_ID = "11111111-2222-4333-8444-555555555555"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"MicrosoftAppId": APP_ID}, "MicrosoftAppPassword is needed"),
        (
            {
                "MicrosoftAppId": APP_ID,
                "MicrosoftAppPassword": "p",
                "MicrosoftAppType": "SingleTenant",
            },
            "needs MicrosoftAppTenantId",
        ),
        ({"MicrosoftAppId": "", "MicrosoftAppPassword": "p"}, "MicrosoftAppId is empty"),
    ],
)
def test_unworkable_settings_are_refused(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check_bot_settings(load_settings(**values))


def test_workable_settings_pass() -> None:
    check_bot_settings(load_settings(MicrosoftAppId="", MicrosoftAppPassword=""))
    check_bot_settings(
        load_settings(
            MicrosoftAppId=APP_ID,
            MicrosoftAppPassword="p",
            MicrosoftAppType="SingleTenant",
            MicrosoftAppTenantId="tenant-1",
        )
    )


def test_local_mode_is_said_loudly(caplog: pytest.LogCaptureFixture) -> None:
    build_adapter(load_settings(MicrosoftAppId="", MicrosoftAppPassword=""))
    assert "LOCAL MODE" in caplog.text and "NOT authenticated" in caplog.text


def test_serve_refuses_bad_settings_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "not-a-port")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("inspection-bot: error: setting PORT:") and err.count("\n") == 1


async def test_connector_clients_are_reused_per_service_url() -> None:
    from botframework.connector.auth import ClaimsIdentity

    _adapter, authentication = build_adapter(load_settings(MicrosoftAppId=""))
    identity = ClaimsIdentity({}, True)
    factory = authentication.create_connector_factory(identity)
    first = await factory.create("http://127.0.0.1:1/", None)
    again = await authentication.create_connector_factory(identity).create(
        "http://127.0.0.1:1/", None
    )
    other = await factory.create("http://127.0.0.1:2/", None)
    assert first is again and first is not other
    token_client = await authentication.create_user_token_client(identity)
    assert token_client is await authentication.create_user_token_client(identity)
    await authentication.close()


async def test_reply_bodies_are_what_msrest_makes_without_its_walk_of_the_card() -> None:
    """Issue 7: plain card JSON is passed through by the reused clients' serializer; the body
    sent is exactly the one msrest's own serializer makes, and non-JSON values still go
    through msrest."""
    from datetime import UTC, datetime

    from botbuilder.core import CardFactory, MessageFactory, TurnContext
    from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, Mention
    from botframework.connector.auth import ClaimsIdentity
    from msrest.serialization import Serializer

    _adapter, authentication = build_adapter(load_settings(MicrosoftAppId=""))
    client = await authentication.create_connector_factory(ClaimsIdentity({}, True)).create(
        "http://127.0.0.1:1/", None
    )
    fast = client.conversations._serialize
    assert type(fast) is not Serializer and fast is client._serialize
    plain = Serializer(fast.dependencies)  # type: ignore[no-untyped-call]
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": f"**IR-{n:03}** · due Mon 04 Mar", "wrap": True}
            for n in range(1, 30)
        ],
        "actions": [{"type": "Action.Submit", "title": "Refresh", "data": {"n": [1, 2.5, None]}}],
        "flag": False,
    }
    reply = MessageFactory.attachment(CardFactory.adaptive_card(card))
    reply.summary = "3 open, 1 overdue"
    reply.entities = [Mention(mentioned=ChannelAccount(id="u1", name="User"), text="<at>User</at>")]
    reply.channel_data = {"when": datetime(2026, 3, 2, 9, 30, tzinfo=UTC), "notify": True}
    incoming = Activity(
        type="message",
        id="a1",
        service_url="http://127.0.0.1:1/",
        channel_id="msteams",
        conversation=ConversationAccount(id="c1"),
        from_property=ChannelAccount(id="u1"),
        recipient=ChannelAccount(id="b1"),
    )
    activity = TurnContext.apply_conversation_reference(
        reply, TurnContext.get_conversation_reference(incoming)
    )
    sent = fast.body(activity, "Activity")
    assert sent == plain.body(activity, "Activity")  # type: ignore[no-untyped-call]
    assert sent["attachments"][0]["content"] == card
    assert sent["channelData"]["when"] == "2026-03-02T09:30:00.000Z"  # still msrest's
    await authentication.close()


async def test_reply_bodies_written_from_the_attribute_map_equal_msrests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 7: a reply made of models is written directly; any other shape goes through
    msrest. Either way the body is exactly msrest's."""
    from datetime import UTC, datetime

    from botbuilder.core import CardFactory, MessageFactory
    from botbuilder.schema import (
        Activity,
        ActivityTypes,
        CardAction,
        ChannelAccount,
        ConversationAccount,
        Mention,
        SuggestedActions,
        TextFormatTypes,
    )
    from botframework.connector.auth import ClaimsIdentity
    from msrest.serialization import Serializer

    _adapter, authentication = build_adapter(load_settings(MicrosoftAppId=""))
    client = await authentication.create_connector_factory(ClaimsIdentity({}, True)).create(
        "http://127.0.0.1:1/", None
    )
    fast = client.conversations._serialize
    plain = Serializer(fast.dependencies)  # type: ignore[no-untyped-call]
    plain.client_side_validation = False
    slow_calls: list[str] = []
    slow_body = Serializer.body

    def counted(self: Serializer, data: object, data_type: str, **kwargs: object) -> object:
        if self is fast:
            slow_calls.append(data_type)
        return slow_body(self, data, data_type, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(Serializer, "body", counted)

    def addressed(activity: Activity) -> Activity:
        activity.from_property = ChannelAccount(id="28:bot", name="Inspection bot")
        activity.recipient = ChannelAccount(id="29:user", name="User", aad_object_id="aad-1")
        activity.conversation = ConversationAccount(
            id="19:c@thread.tacv2", conversation_type="channel", is_group=True, tenant_id="t1"
        )
        activity.service_url = "http://127.0.0.1:1/"
        activity.channel_id = "msteams"
        activity.reply_to_id = "m-1"
        activity.input_hint = "acceptingInput"
        return activity

    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "x"}]}
    with_card = MessageFactory.attachment(CardFactory.adaptive_card(card))
    with_card.summary = "1 open"
    mention = MessageFactory.text("<at>User</at> please look")
    mention.text_format = TextFormatTypes.xml
    mention.entities = [Mention(mentioned=ChannelAccount(id="29:user", name="User"), text="u")]
    suggested = MessageFactory.text("Pick one")
    suggested.suggested_actions = SuggestedActions(
        actions=[CardAction(type="imBack", title="Yes", value="yes")], to=["29:user"]
    )
    typed = Activity(type=ActivityTypes.message, text="plain", locale="en-GB")
    typed.timestamp = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    typed.channel_data = {"notification": {"alert": True}, "when": typed.timestamp}
    typed.value = {"verb": "refresh", "n": [1, 2.5, None]}
    fast_ones = [with_card, mention, suggested, typed]
    for activity in fast_ones:
        addressed(activity)
        assert fast.body(activity, "Activity") == plain.body(activity, "Activity")  # type: ignore[no-untyped-call]
    assert slow_calls == []

    # A dict where a model goes is rebuilt by msrest, as before.
    odd = addressed(MessageFactory.text("odd"))
    odd.recipient = {"id": "29:user", "name": "User"}  # type: ignore[assignment]
    assert fast.body(odd, "Activity") == plain.body(odd, "Activity")  # type: ignore[no-untyped-call]
    assert slow_calls == ["Activity"]
    await authentication.close()
