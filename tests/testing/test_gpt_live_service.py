"""The local GPT-Live service with agentkit's client side: a tool round, and the bad inputs."""

from __future__ import annotations

import json
from typing import Any

import anyio

from agentkit.engine.duplex import DelegatedCalls, responses_delegation
from agentkit.protocol import live
from agentkit.testing.gpt_live_service import LocalGptLive
from agentkit.tools.toolset import Toolset


def lookup_order(order_id: str) -> dict[str, str]:
    """Look up an order's status."""
    return {"order_id": order_id, "status": "shipped"}


def _started(service: LocalGptLive, tools: Toolset) -> None:
    session = {"model": "gpt-live-1", "delegation": responses_delegation(tools, model="gpt-5.5")}
    [started] = service.receive(json.dumps(live.session_start(session)))
    assert started["type"] == "session.started"


def _send(service: LocalGptLive, frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [reply for frame in frames for reply in service.receive(json.dumps(frame))]


def test_a_tool_round_is_delegated_answered_once_and_spoken_about() -> None:
    tools = Toolset([lookup_order])
    service = LocalGptLive({"order": ("lookup_order", '{"order_id": "A-1001"}')})
    _started(service, tools)
    calls = DelegatedCalls(tools)
    heard = [live.decode_live(json.dumps(frame)) for frame in service.hear("Where is my order?")]
    assert [type(event) for event in heard] == [
        live.LiveInputTranscriptDelta,
        live.LiveDelegationCreated,
        live.LiveResponseEvent,
    ]
    answers = [frame for event in heard for frame in anyio.run(calls.handle, event)]
    replies = _send(service, answers)
    assert {reply["type"] for reply in replies} == {"session.output_transcript.delta"}
    assert "shipped" in "".join(reply["delta"] for reply in replies)
    assert service.open_calls == {}
    assert json.loads(next(iter(service.outputs.values())))["status"] == "shipped"


def test_it_answers_by_itself_without_any_turn_request() -> None:
    service = LocalGptLive()
    _started(service, Toolset())
    frames = service.hear("hello there")
    said = [frame["delta"] for frame in frames if frame["type"] == "session.output_transcript.delta"]
    assert "".join(said) == "You said: hello there"


def test_a_result_for_an_unknown_call_is_an_error_event() -> None:
    service = LocalGptLive()
    _started(service, Toolset())
    [error] = _send(service, live.function_call_output("call_nope", "x")[:1])
    event = live.decode_live(json.dumps(error))
    assert isinstance(event, live.LiveErrorEvent)
    assert event.error.code == "unknown_call"


def test_realtime_turn_control_and_unknown_events_are_refused() -> None:
    service = LocalGptLive()
    _started(service, Toolset())
    for kind in ("response.cancel", "conversation.item.truncate", "made.up"):
        [error] = service.receive(json.dumps({"type": kind, "event_id": "c9"}))
        assert error["type"] == "error"
        assert error["client_event_id"] == "c9"


def test_session_start_is_strict_and_first() -> None:
    service = LocalGptLive()
    [error] = service.receive('{"type": "session.input_audio.append", "audio": ""}')
    assert error["error"]["code"] == "session_not_started"
    [error] = service.receive(json.dumps({"type": "session.start", "session": {"model": "m", "voice": "x"}}))
    assert error["error"]["code"] == "unknown_parameter"
    [error] = service.receive(json.dumps({"type": "session.start", "session": {}}))
    assert error["error"]["code"] == "missing_required_parameter"
    [ack] = [*service.receive(json.dumps(live.session_start({"model": "m"})))]
    assert ack["type"] == "session.started"
    assert (
        service.receive('{"type": "session.input_audio.unmute"}')[0]["type"] == "session.input_audio.unmuted"
    )
