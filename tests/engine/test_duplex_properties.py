"""The full-duplex rules (GPT-Live) under any order of events: every delegated call is answered
exactly once, whether it finishes, is delivered twice, is answered late, or is settled at close;
nothing is ever sent for a call the service did not delegate."""

from __future__ import annotations

import json
from collections import Counter

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit.engine.duplex import DelegatedCalls
from agentkit.protocol import live
from agentkit.tools.toolset import Toolset


def lookup_order(order_id: str) -> str:
    """Look up an order."""
    if order_id == "boom":
        raise RuntimeError("database down")
    return f"{order_id}: shipped"


def _delegated(call_id: str, order_id: str) -> live.LiveEvent | live.ProtocolError:
    item = {
        "type": "function_call",
        "call_id": call_id,
        "name": "lookup_order",
        "arguments": json.dumps({"order_id": order_id}),
    }
    frame = {"type": "response.event", "event": {"type": "response.output_item.done", "item": item}}
    return live.decode_live(json.dumps(frame))


ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("deliver"), st.integers(0, 4), st.sampled_from(["A-1", "boom"])),
        st.tuples(st.just("run"), st.integers(0, 4), st.just("")),
        st.tuples(st.just("foreign"), st.integers(0, 4), st.just("")),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(ACTIONS)
def test_every_delegated_call_is_answered_exactly_once(actions: list[tuple[str, int, str]]) -> None:
    calls = DelegatedCalls(Toolset([lookup_order]))
    sent: list[dict[str, object]] = []
    delivered: set[str] = set()
    waiting: dict[str, dict[str, object]] = {}  # observed, tool not yet run

    for kind, number, order_id in actions:
        call_id = f"call_{number}"
        if kind == "deliver":
            call = calls.ledger.observe(_delegated(call_id, order_id))
            delivered.add(call_id)
            if call is not None:
                waiting[call_id] = call
        elif kind == "run" and call_id in waiting:
            outcome = anyio.run(calls.run, waiting.pop(call_id))
            sent += calls.ledger.answer(call_id, outcome.output)
        elif kind == "foreign":
            with pytest.raises(live.UnknownDelegatedCall):
                calls.ledger.answer(f"foreign_{number}", "x")
    sent += calls.settle("session closed")

    outputs = [frame["item"] for frame in sent if frame["type"] == "response.item.create"]
    answered = Counter(item["call_id"] for item in outputs)  # type: ignore[index]
    assert set(answered) == delivered
    assert all(count == 1 for count in answered.values())
    assert calls.ledger.unanswered == {}
    assert calls.settle() == []
    for item in outputs:
        if item["call_id"] in waiting:  # type: ignore[index]
            assert "cancelled" in item["output"]  # type: ignore[index]
    for call_id in delivered:
        with pytest.raises(live.UnknownDelegatedCall, match="already answered"):
            calls.ledger.answer(call_id, "again")
