"""Full-duplex engine rules on GPT-Live: the app's tools as delegated functions, each answered once."""

from __future__ import annotations

import json

import anyio
import pytest

from agentkit.engine.duplex import DelegatedCalls, responses_delegation
from agentkit.protocol import live
from agentkit.tools.toolset import Toolset


def lookup_order(order_id: str) -> dict[str, str]:
    """Look up an order's status."""
    return {"order_id": order_id, "status": "shipped"}


def broken() -> str:
    """Always fails."""
    raise RuntimeError("database down")


def _delegated(call_id: str, name: str, arguments: str) -> live.LiveEvent | live.ProtocolError:
    item = {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}
    frame = {
        "type": "response.event",
        "delegation_id": "d1",
        "event": {"type": "response.output_item.done", "item": item},
    }
    return live.decode_live(json.dumps(frame))


def test_app_tools_are_offered_as_client_actionable_functions() -> None:
    block = responses_delegation(
        Toolset([lookup_order]), model="gpt-5.5", hosted_tools=({"type": "web_search"},)
    )
    assert block["type"] == "responses"
    names = [tool.get("name") for tool in block["responses"]["tools"]]
    assert names == [None, "lookup_order"]
    assert block["responses"]["tools"][1]["parameters"]["required"] == ["order_id"]


def test_a_delegated_call_runs_the_tool_and_is_answered_once() -> None:
    calls = DelegatedCalls(Toolset([lookup_order]))
    frames = anyio.run(calls.handle, _delegated("c1", "lookup_order", '{"order_id": "A7"}'))
    assert frames[0]["type"] == "response.item.create"
    assert frames[0]["item"]["call_id"] == "c1"
    assert json.loads(frames[0]["item"]["output"]) == {"order_id": "A7", "status": "shipped"}
    assert anyio.run(calls.handle, _delegated("c1", "lookup_order", '{"order_id": "A7"}')) == []
    assert calls.settle() == []


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [("broken", "{}", "database down"), ("nope", "{}", "unknown tool"), ("lookup_order", "{bad", "invalid")],
)
def test_failures_still_answer_the_call(name: str, arguments: str, expected: str) -> None:
    calls = DelegatedCalls(Toolset([lookup_order, broken]))
    frames = anyio.run(calls.handle, _delegated("c2", name, arguments))
    assert expected in frames[0]["item"]["output"]
    assert calls.ledger.unanswered == {}


def test_other_events_ask_nothing() -> None:
    calls = DelegatedCalls(Toolset([lookup_order]))
    assert (
        anyio.run(calls.handle, live.decode_live('{"type": "session.output_audio.delta", "delta": ""}')) == []
    )


def test_a_call_cancelled_mid_tool_is_settled_once_as_cancelled() -> None:
    started = anyio.Event()

    async def slow() -> str:
        """Takes forever."""
        started.set()
        await anyio.sleep_forever()
        return "never"

    calls = DelegatedCalls(Toolset([slow]))

    async def scenario() -> list[dict[str, object]]:
        async with anyio.create_task_group() as group:
            group.start_soon(calls.handle, _delegated("c3", "slow", "{}"))
            await started.wait()
            group.cancel_scope.cancel()
        return calls.settle("caller hung up")

    frames = anyio.run(scenario)
    assert len(frames) == 2
    assert "cancelled" in frames[0]["item"]["output"]  # type: ignore[index]
    assert calls.settle() == []


def _handed(delegation_id: str, target: object) -> live.LiveEvent | live.ProtocolError:
    frame = {"type": "session.delegation.created", "delegation": {"id": delegation_id, "target": target}}
    return live.decode_live(json.dumps(frame))


def test_client_delegations_get_exactly_one_result_and_only_their_own() -> None:
    from agentkit.engine.duplex import ClientDelegations

    ledger = ClientDelegations()
    assert ledger.observe(_handed("d1", "responses")) is None  # the backend's, not the application's
    assert ledger.observe(_handed("d2", "client")) == "d2"
    assert ledger.observe(_handed("d2", "client")) is None  # delivered twice: still one piece of work
    assert ledger.observe(_handed("d3", {"type": "client"})) == "d3"
    spoken = ledger.answer("d2", "It shipped.")
    assert spoken == {"type": "session.commentary.append", "content": "It shipped.", "delegation_id": "d2"}
    assert ledger.answer("d3", "nothing", spoken=False)["type"] == "session.thinking.append"
    with pytest.raises(live.UnknownDelegatedCall, match="already answered"):
        ledger.answer("d2", "again")
    with pytest.raises(live.UnknownDelegatedCall, match="never made"):
        ledger.answer("d9", "x")
    assert ledger.observe(_handed("d2", "client")) is None
    assert ledger.unanswered == frozenset()
