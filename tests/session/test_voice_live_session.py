"""An agent on Voice Live against the local server: the service's interim responses stand in for
agentkit's filler where it gives them, and a Voice Live error event is reported without ending the
session. (Tool rounds, drops, expiry and interruptions run on Voice Live in the suites that take
every dialect, `tests.session.helpers.DIALECTS`.)"""

from __future__ import annotations

import anyio
import pytest

from agentkit import Agent, ErrorReported, ResponseFinished, ToolCallStarted, TurnDone, tool
from agentkit.protocol import Dialect, ResponseCreate, SessionConfig, SessionUpdated
from agentkit.testing import KeywordModel, Say, ScriptedModel
from tests.session.helpers import local_server, next_of, of_type, outputs

pytestmark = pytest.mark.anyio


async def test_over_a_text_model_the_services_interim_response_is_the_filler() -> None:
    release = anyio.Event()

    @tool
    async def track_shipment(order_id: str) -> str:
        """Track the shipment of an order with the carrier.

        Args:
            order_id: The order id, like A-1001.
        """
        await release.wait()
        return f"{order_id} is in transit, arriving Tuesday"

    agent = Agent("shop", tools=[track_shipment], filler_after=0.0, output_modalities=["text"])
    async with local_server(KeywordModel()) as server:
        endpoint = server.endpoint(Dialect.VOICE_LIVE, model="gpt-4.1")
        with anyio.fail_after(10):
            async with agent.connect(endpoint) as session, session.events() as events:
                await session.send_text("Where is the shipment of order A-1001?")
                started = await next_of(events, ToolCallStarted)
                finished = await next_of(events, ResponseFinished)  # agentkit's filler would go out now
                assert finished.response_id == started.response_id
                release.set()
                turn = (await next_of(events, TurnDone)).turn
        [conn] = server.connections
        creates = of_type(conn.received, ResponseCreate)
        assert [c.response.conversation if c.response else None for c in creates] == [None, None]
        updated = next(e for e in conn.sent if isinstance(e, SessionUpdated))
        assert updated.session.interim_response == {
            "type": "llm_interim_response",
            "triggers": ["tool", "latency"],
            "latency_threshold_ms": 0,
        }
        assert list(outputs(conn).values()) == ["A-1001 is in transit, arriving Tuesday"]
        assert "Tuesday" in turn.text


async def test_a_voice_live_error_event_is_reported_and_the_session_goes_on() -> None:
    options = SessionConfig(input_audio_sampling_rate=11025)  # Voice Live takes 16000 or 24000
    agent = Agent("a", session_options=options, output_modalities=["text"])
    async with local_server(ScriptedModel([[Say("Still here.")]])) as server:
        with anyio.fail_after(10):
            async with agent.connect(server.endpoint(Dialect.VOICE_LIVE)) as session:
                events = session.events()
                error = await next_of(events, ErrorReported)
                turn = await session.ask("are you there?")
    assert error.error.param == "session.input_audio_sampling_rate"
    assert not error.fatal
    assert turn.text == "Still here."
