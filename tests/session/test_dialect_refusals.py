"""What a service cannot take fails at connect with an `EncodeError` naming it, before any socket."""

from __future__ import annotations

import pytest

from agentkit import Agent
from agentkit.protocol import Dialect, EncodeError, SessionConfig
from agentkit.testing import LocalRealtimeServer
from tests.session.helpers import endpoint_for

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("dialect", "options", "named"),
    [
        (
            Dialect.GA,
            SessionConfig(input_audio_echo_cancellation={"type": "server_echo_cancellation"}),
            "echo",
        ),
        (Dialect.PREVIEW, SessionConfig(voice={"id": "voice_custom_1"}), "voice name"),
        (
            Dialect.VOICE_LIVE,
            SessionConfig(interim_response={"type": "magic_interim_response", "triggers": ["tool"]}),
            "unknown interim response type 'magic_interim_response'",
        ),
    ],
)
async def test_a_setting_the_service_cannot_take_fails_before_connecting(
    dialect: Dialect, options: SessionConfig, named: str
) -> None:
    agent = Agent("shop", instructions="Help.", session_options=options)
    async with LocalRealtimeServer() as server:
        with pytest.raises(EncodeError, match=named):
            async with agent.connect(endpoint_for(server, dialect)):
                pass
        assert server.connections == []


async def test_voice_live_takes_its_own_settings() -> None:
    options = SessionConfig(input_audio_echo_cancellation={"type": "server_echo_cancellation"})
    agent = Agent("shop", instructions="Help.", session_options=options)
    async with (
        LocalRealtimeServer() as server,
        agent.connect(endpoint_for(server, Dialect.VOICE_LIVE)) as session,
    ):
        turn = await session.ask("Hello there")
    assert turn.text
