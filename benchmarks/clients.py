"""The clients compared, each doing the same two jobs against the benchmark server.

`tool_turns`: one session, `turns` user turns, each answered with the server's scripted calls of the
tool `work` (which waits `tool_delay` seconds) and then a final answer. `stream`: one session, one
user turn answered with a long audio response (audio deltas plus transcript deltas), consumed fully.

- agentkit: `Agent` + `@tool`, `session.ask()`; `session.events()` for the stream.
- openai-agents: `RealtimeRunner` + `function_tool`, the session's event iterator.
- pydantic-ai: `Agent.realtime(OpenAIRealtimeModel).session()`, `send()` + `wait_for_reply()`.
- raw: `websockets` + `json`, the minimum a correct client must do (the floor): tools start at
  `function_call_arguments.done`, outputs and one `response.create` go out at `response.done`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import anyio
import websockets

from agentkit import Agent, Endpoint, tool
from agentkit.engine import ResponseFinished
from agentkit.protocol import Dialect

ToolTurns = Callable[[str, str, int, float], Coroutine[Any, Any, None]]
Stream = Callable[[str, str], Coroutine[Any, Any, None]]

_TOOL_SCHEMA = {
    "type": "function",
    "name": "work",
    "description": "Do a piece of work.",
    "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
}


@dataclass(frozen=True)
class Client:
    name: str
    tool_turns: ToolTurns
    stream: Stream


# -- agentkit --------------------------------------------------------------------------------------


def _agentkit_agent(tool_delay: float, modalities: list[str]) -> Agent:
    @tool
    async def work(n: int) -> str:
        """Do a piece of work.

        Args:
            n: Which piece.
        """
        if tool_delay:
            await anyio.sleep(tool_delay)
        return f"piece {n} done"

    return Agent("bench", "Do the work.", tools=[work], output_modalities=modalities)


def _endpoint(url: str, api_key: str) -> Endpoint:
    return Endpoint.custom(url, dialect=Dialect.GA, api_key=api_key)


async def agentkit_tool_turns(url: str, api_key: str, turns: int, tool_delay: float) -> None:
    agent = _agentkit_agent(tool_delay, ["text"])
    async with agent.connect(_endpoint(url, api_key)) as session:
        for _ in range(turns):
            await session.ask("Do the work.", timeout=120)


async def agentkit_stream(url: str, api_key: str) -> None:
    agent = _agentkit_agent(0.0, ["audio"])
    async with agent.connect(_endpoint(url, api_key)) as session, session.events(maxsize=1 << 20) as events:
        await session.send_text("Talk for a long time.")
        async for event in events:
            if isinstance(event, ResponseFinished):
                return


# -- the OpenAI Agents SDK -------------------------------------------------------------------------


async def sdk_tool_turns(url: str, api_key: str, turns: int, tool_delay: float) -> None:
    from agents import function_tool
    from agents.realtime import RealtimeAgent, RealtimeRunner

    async def work(n: int) -> str:
        """Do a piece of work."""
        if tool_delay:
            await asyncio.sleep(tool_delay)
        return f"piece {n} done"

    agent = RealtimeAgent(name="bench", instructions="Do the work.", tools=[function_tool(work)])
    session = await RealtimeRunner(agent).run(
        model_config={"url": url, "api_key": api_key, "initial_model_settings": {"modalities": ["text"]}}
    )
    async with session:
        for _ in range(turns):
            await session.send_message("Do the work.")
            started = ended = 0
            async for event in session:
                if event.type == "error":
                    raise RuntimeError(f"openai-agents reported an error: {event.error}")
                if event.type == "tool_start":
                    started += 1
                elif event.type == "tool_end":
                    ended += 1
                elif event.type == "agent_end" and started and ended == started:
                    break


async def sdk_stream(url: str, api_key: str) -> None:
    from agents.realtime import RealtimeAgent, RealtimeRunner

    agent = RealtimeAgent(name="bench", instructions="Talk.")
    session = await RealtimeRunner(agent).run(
        model_config={"url": url, "api_key": api_key, "initial_model_settings": {"modalities": ["audio"]}}
    )
    async with session:
        await session.send_message("Talk for a long time.")
        async for event in session:
            if event.type == "error":
                raise RuntimeError(f"openai-agents reported an error: {event.error}")
            if event.type == "agent_end":
                return


# -- pydantic-ai realtime ---------------------------------------------------------------------------


def _pydantic_ai_model(url: str, api_key: str, modality: str) -> Any:
    from pydantic_ai.providers.openai import OpenAIProvider
    from pydantic_ai.realtime.openai import OpenAIRealtimeModel

    base = url.replace("ws://", "http://", 1).split("/realtime", 1)[0]  # .../v1, as the SDK expects
    settings: Any = {"output_modality": modality, "turn_detection": False}
    return OpenAIRealtimeModel(
        "gpt-realtime", provider=OpenAIProvider(base_url=base, api_key=api_key), settings=settings
    )


async def pydantic_ai_tool_turns(url: str, api_key: str, turns: int, tool_delay: float) -> None:
    from pydantic_ai import Agent as PydanticAgent

    async def work(n: int) -> str:
        """Do a piece of work."""
        if tool_delay:
            await asyncio.sleep(tool_delay)
        return f"piece {n} done"

    agent = PydanticAgent(instructions="Do the work.", tools=[work])
    async with agent.realtime(_pydantic_ai_model(url, api_key, "text")).session() as session:
        for _ in range(turns):
            await session.send("Do the work.")
            await session.wait_for_reply()


async def pydantic_ai_stream(url: str, api_key: str) -> None:
    from pydantic_ai import Agent as PydanticAgent

    agent = PydanticAgent(instructions="Talk.")
    async with agent.realtime(_pydantic_ai_model(url, api_key, "audio")).session() as session:
        await session.send("Talk for a long time.")
        async for event in session:
            if type(event).__name__ == "RealtimeTurnCompleteEvent":
                return


# -- raw websockets + json (the floor) --------------------------------------------------------------


async def _raw_session(url: str, api_key: str, modalities: list[str]) -> Any:
    ws = await websockets.connect(
        url, additional_headers={"Authorization": f"Bearer {api_key}"}, max_size=None, compression=None
    )
    session = {"type": "realtime", "output_modalities": modalities, "tools": [_TOOL_SCHEMA]}
    await ws.send(json.dumps({"type": "session.update", "session": session}))
    return ws


async def _raw_say(ws: Any, text: str) -> None:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
    await ws.send(json.dumps({"type": "response.create"}))


async def raw_tool_turns(url: str, api_key: str, turns: int, tool_delay: float) -> None:
    async def work(call_id: str, arguments: str) -> dict[str, Any]:
        if tool_delay:
            await asyncio.sleep(tool_delay)
        output = f"piece {json.loads(arguments)['n']} done"
        return {"type": "function_call_output", "call_id": call_id, "output": output}

    ws = await _raw_session(url, api_key, ["text"])
    try:
        for _ in range(turns):
            await _raw_say(ws, "Do the work.")
            running: list[asyncio.Task[dict[str, Any]]] = []
            while True:
                event = json.loads(await ws.recv())
                kind = event["type"]
                if kind == "response.function_call_arguments.done":
                    running.append(asyncio.ensure_future(work(event["call_id"], event["arguments"])))
                elif kind == "response.done":
                    if not running:
                        break
                    for output in await asyncio.gather(*running):
                        await ws.send(json.dumps({"type": "conversation.item.create", "item": output}))
                    await ws.send(json.dumps({"type": "response.create"}))
                    running = []
    finally:
        await ws.close()


async def raw_stream(url: str, api_key: str) -> None:
    ws = await _raw_session(url, api_key, ["audio"])
    try:
        await _raw_say(ws, "Talk for a long time.")
        while json.loads(await ws.recv())["type"] != "response.done":
            pass
    finally:
        await ws.close()


CLIENTS = (
    Client("agentkit", agentkit_tool_turns, agentkit_stream),
    Client("openai-agents", sdk_tool_turns, sdk_stream),
    Client("pydantic-ai", pydantic_ai_tool_turns, pydantic_ai_stream),
    Client("raw", raw_tool_turns, raw_stream),
)
