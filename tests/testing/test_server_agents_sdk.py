"""A client nobody here wrote: the OpenAI Agents SDK completes a tool round against the local server."""

from __future__ import annotations

import anyio
import pytest
from agents import function_tool
from agents.realtime import RealtimeAgent, RealtimeRunner

from agentkit.protocol import FunctionCallOutputItem
from agentkit.testing import Call, LocalRealtimeServer, ModelContext, Say, ScriptedModel

pytestmark = pytest.mark.anyio


@function_tool
def get_weather(city: str) -> str:
    """Today's weather in a city."""
    return f"Sunny and 21 degrees in {city}"


def _answer(context: ModelContext) -> list[Say]:
    outputs = [item.output for item in context.items if isinstance(item, FunctionCallOutputItem)]
    return [Say(f"Here it is: {outputs[-1]}.")]


def _texts(history: list[object]) -> list[str]:
    return [
        getattr(part, "text", None) or getattr(part, "transcript", None) or ""
        for item in history
        for part in getattr(item, "content", None) or []
    ]


async def test_agents_sdk_tool_round_over_the_ga_url() -> None:
    model = ScriptedModel([[Call("get_weather", {"city": "Oslo"})], _answer])
    agent = RealtimeAgent(name="weather", instructions="Answer weather questions.", tools=[get_weather])
    async with LocalRealtimeServer(model=model) as server:
        runner = RealtimeRunner(agent)
        session = await runner.run(
            model_config={
                "url": server.url(),
                "api_key": server.api_key or "",
                "initial_model_settings": {"modalities": ["text"]},
            }
        )
        tool_outputs: list[str] = []
        history: list[object] = []
        with anyio.fail_after(15):
            async with session:
                await session.send_message("What's the weather in Oslo?")
                async for event in session:
                    if event.type == "history_updated":
                        history = list(event.history)
                    if event.type == "tool_end":
                        tool_outputs.append(str(event.output))
                    if event.type == "error":
                        pytest.fail(f"the SDK reported an error: {event.error}")
                    if any("Here it is" in text for text in _texts(history)):
                        break
    transcript = _texts(history)
    assert tool_outputs == ["Sunny and 21 degrees in Oslo"]
    assert any("Here it is: Sunny and 21 degrees in Oslo" in text for text in transcript), transcript
    assert model.remaining == 0
    assert server.connections[0].dialect.value == "ga"
