"""The clients compared, each doing the same two jobs against the benchmark server.

`tool_turns`: one session, `turns` user turns, each answered with the server's scripted calls of the
tool `work` (which waits `tool_delay` seconds) and then a final answer. `stream`: one session, one
user turn answered with a long audio response (audio deltas plus transcript deltas), consumed fully.
`open_close`: one session opened (its `session.created` read and its configuration sent) and closed;
with a `Hold`, it stays open, idle, until the hold is released.

Agents and tools are built once per process and shared by every session, as a service does.

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
from functools import cache
from typing import Any

import anyio
import websockets

from agentkit import Agent, Endpoint, tool
from agentkit.engine import ResponseFinished
from agentkit.protocol import Dialect

ToolTurns = Callable[[str, str, int, float], Coroutine[Any, Any, None]]
Stream = Callable[[str, str], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Hold:
    """Keeps sessions open and idle: each calls `opened()` once open, then waits for `release`."""

    opened: Callable[[], None]
    release: anyio.Event

    async def __call__(self) -> None:
        self.opened()
        await self.release.wait()


OpenClose = Callable[[str, str, "Hold | None"], Coroutine[Any, Any, None]]

_OPEN_TIMEOUT = 15.0
"""The raw floor waits for a handshake as long as agentkit does (`TransportOptions.open_timeout`)."""

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
    open_close: OpenClose


# -- agentkit --------------------------------------------------------------------------------------


@cache
def _agentkit_agent(tool_delay: float, modality: str) -> Agent:
    @tool
    async def work(n: int) -> str:
        """Do a piece of work.

        Args:
            n: Which piece.
        """
        if tool_delay:
            await anyio.sleep(tool_delay)
        return f"piece {n} done"

    return Agent("bench", "Do the work.", tools=[work], output_modalities=[modality])


def _endpoint(url: str, api_key: str) -> Endpoint:
    return Endpoint.custom(url, dialect=Dialect.GA, api_key=api_key)


async def agentkit_tool_turns(url: str, api_key: str, turns: int, tool_delay: float) -> None:
    agent = _agentkit_agent(tool_delay, "text")
    async with agent.connect(_endpoint(url, api_key)) as session:
        for _ in range(turns):
            await session.ask("Do the work.", timeout=120)


async def agentkit_open_close(url: str, api_key: str, hold: Hold | None) -> None:
    async with _agentkit_agent(0.0, "text").connect(_endpoint(url, api_key)):
        if hold is not None:
            await hold()


async def agentkit_stream(url: str, api_key: str) -> None:
    agent = _agentkit_agent(0.0, "audio")
    async with agent.connect(_endpoint(url, api_key)) as session, session.events(maxsize=1 << 20) as events:
        await session.send_text("Talk for a long time.")
        async for event in events:
            if isinstance(event, ResponseFinished):
                return


# -- the OpenAI Agents SDK -------------------------------------------------------------------------


@cache
def _sdk_agent(tool_delay: float) -> Any:
    from agents import function_tool
    from agents.realtime import RealtimeAgent

    async def work(n: int) -> str:
        """Do a piece of work."""
        if tool_delay:
            await asyncio.sleep(tool_delay)
        return f"piece {n} done"

    return RealtimeAgent(name="bench", instructions="Do the work.", tools=[function_tool(work)])


async def _sdk_session(url: str, api_key: str, agent: Any, modality: str) -> Any:
    from agents.realtime import RealtimeRunner

    config: Any = {"url": url, "api_key": api_key, "initial_model_settings": {"modalities": [modality]}}
    return await RealtimeRunner(agent).run(model_config=config)


async def sdk_tool_turns(url: str, api_key: str, turns: int, tool_delay: float) -> None:
    session = await _sdk_session(url, api_key, _sdk_agent(tool_delay), "text")
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


async def sdk_open_close(url: str, api_key: str, hold: Hold | None) -> None:
    async with await _sdk_session(url, api_key, _sdk_agent(0.0), "text"):
        if hold is not None:
            await hold()


async def sdk_stream(url: str, api_key: str) -> None:
    session = await _sdk_session(url, api_key, _sdk_agent(0.0), "audio")
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


@cache
def _pydantic_ai_agent(tool_delay: float) -> Any:
    from pydantic_ai import Agent as PydanticAgent

    async def work(n: int) -> str:
        """Do a piece of work."""
        if tool_delay:
            await asyncio.sleep(tool_delay)
        return f"piece {n} done"

    return PydanticAgent(instructions="Do the work.", tools=[work])


async def pydantic_ai_tool_turns(url: str, api_key: str, turns: int, tool_delay: float) -> None:
    agent = _pydantic_ai_agent(tool_delay)
    async with agent.realtime(_pydantic_ai_model(url, api_key, "text")).session() as session:
        for _ in range(turns):
            await session.send("Do the work.")
            await session.wait_for_reply()


async def pydantic_ai_open_close(url: str, api_key: str, hold: Hold | None) -> None:
    async with _pydantic_ai_agent(0.0).realtime(_pydantic_ai_model(url, api_key, "text")).session():
        if hold is not None:
            await hold()


async def pydantic_ai_stream(url: str, api_key: str) -> None:
    agent = _pydantic_ai_agent(0.0)
    async with agent.realtime(_pydantic_ai_model(url, api_key, "audio")).session() as session:
        await session.send("Talk for a long time.")
        async for event in session:
            if type(event).__name__ == "RealtimeTurnCompleteEvent":
                return


# -- raw websockets + json (the floor) --------------------------------------------------------------


async def _raw_session(url: str, api_key: str, modalities: list[str]) -> Any:
    ws = await websockets.connect(
        url,
        additional_headers={"Authorization": f"Bearer {api_key}"},
        max_size=None,
        compression=None,
        open_timeout=_OPEN_TIMEOUT,
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


async def raw_open_close(url: str, api_key: str, hold: Hold | None) -> None:
    ws = await websockets.connect(
        url,
        additional_headers={"Authorization": f"Bearer {api_key}"},
        max_size=None,
        compression=None,
        open_timeout=_OPEN_TIMEOUT,
    )
    try:
        json.loads(await ws.recv())  # session.created
        session = {"type": "realtime", "output_modalities": ["text"], "tools": [_TOOL_SCHEMA]}
        await ws.send(json.dumps({"type": "session.update", "session": session}))
        if hold is not None:
            await hold()
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
    Client("agentkit", agentkit_tool_turns, agentkit_stream, agentkit_open_close),
    Client("openai-agents", sdk_tool_turns, sdk_stream, sdk_open_close),
    Client("pydantic-ai", pydantic_ai_tool_turns, pydantic_ai_stream, pydantic_ai_open_close),
    Client("raw", raw_tool_turns, raw_stream, raw_open_close),
)
