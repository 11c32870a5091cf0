"""Tool mocks (one session, the real schema and validation) and the simulated caller, through the
plugin's fixtures."""

from __future__ import annotations

from typing import Any

import anyio.lowlevel
import pytest

from agentkit import Agent, Decision, Endpoint, ToolContext, tool
from agentkit.testing import Call, LocalRealtimeServer, ModelContext, Say, ScriptedModel
from agentkit.testing.kit import Caller, Speech, ToolMocks, expect
from agentkit.tools import ToolError

pytestmark = pytest.mark.anyio


@tool
def lookup_order(ctx: ToolContext[str], order_id: str) -> dict[str, Any]:
    """Look up an order.

    Args:
        order_id: The order id, like A-1001.
    """
    return {"order_id": order_id, "status": "delivered", "shop": ctx.deps}


@tool
def cancel_order(order_id: str, reason: str = "") -> str:
    """Cancel an order."""
    return f"cancelled {order_id}"


@pytest.fixture
def agentkit_agent() -> Agent:
    return Agent("shop", tools=[lookup_order, cancel_order], deps="main-street", output_modalities=["text"])


def said_output(context: ModelContext) -> list[Say]:
    return [Say(f"Tool said: {context.items[-1].output}")]  # type: ignore[union-attr]


async def test_the_real_tool_runs_without_mocks(agentkit_caller: Caller) -> None:
    turn = await agentkit_caller.says("Where is A-1001?")
    expect(turn).succeeded("lookup_order", order_id="A-1001").said("delivered").said("main-street")


async def test_a_mock_returns_a_value_for_this_session_only(
    agentkit_caller: Caller,
    agentkit_tool_mocks: ToolMocks,
    agentkit_agent: Agent,
    agentkit_server: LocalRealtimeServer,
) -> None:
    agentkit_tool_mocks.replace("lookup_order", returns={"order_id": "A-1001", "status": "lost"})
    turn = await agentkit_caller.says("Where is A-1001?")
    expect(turn).succeeded("lookup_order", order_id="A-1001").said("lost")
    assert agentkit_tool_mocks.calls("lookup_order") == [{"order_id": "A-1001"}]

    async with agentkit_agent.connect(agentkit_server.endpoint()) as other:
        real = await other.ask("Where is A-1001?", timeout=20)
    expect(real).said("delivered").did_not_say("lost")
    assert agentkit_agent.toolset["lookup_order"] is lookup_order, "the agent itself is untouched"


async def test_a_mock_can_raise_take_the_context_and_be_replaced_mid_conversation(
    agentkit_caller: Caller, agentkit_tool_mocks: ToolMocks
) -> None:
    agentkit_tool_mocks.replace("cancel_order", raises=ToolError("Orders that shipped cannot be cancelled."))
    first = await agentkit_caller.says("Cancel order A-1001")
    expect(first).failed("cancel_order", status="tool_error").said("cannot be cancelled")

    async def cancelled(order_id: str, ctx: ToolContext[str]) -> str:
        await anyio.lowlevel.checkpoint()
        return f"{order_id} cancelled at {ctx.deps}"

    agentkit_tool_mocks.replace("cancel_order", cancelled)
    second = await agentkit_caller.says("Cancel order A-1002")
    expect(second).succeeded("cancel_order", order_id="A-1002").said("A-1002 cancelled at main-street")
    assert [c["order_id"] for c in agentkit_tool_mocks.calls("cancel_order")] == ["A-1001", "A-1002"]


@pytest.mark.agentkit_offline
async def test_a_mocked_tool_still_validates_the_models_arguments(
    agentkit_server: LocalRealtimeServer, agentkit_caller: Caller, agentkit_tool_mocks: ToolMocks
) -> None:
    agentkit_tool_mocks.replace("lookup_order", returns={"status": "never used"})
    agentkit_server.model = ScriptedModel([[Call("lookup_order", {"order_id": 1001})], said_output])
    turn = await agentkit_caller.says("Where is 1001?")
    expect(turn).failed("lookup_order", status="invalid_arguments").did_not_say("never used")
    assert agentkit_tool_mocks.calls("lookup_order") == []


async def test_mocks_refuse_unclear_requests(agentkit_agent: Agent) -> None:
    mocks = ToolMocks()
    with pytest.raises(TypeError, match="exactly one of"):
        mocks.replace("lookup_order")
    with pytest.raises(TypeError, match="exactly one of"):
        mocks.replace("lookup_order", lambda order_id: 1, returns=2)
    with pytest.raises(TypeError, match="must be callable"):
        mocks.replace("lookup_order", "not callable")  # type: ignore[arg-type]
    mocks.replace("refund_everything", returns=True)
    with pytest.raises(KeyError, match=r"no such tool \(it has lookup_order, cancel_order\)"):
        mocks.install(agentkit_agent.connect(Endpoint.custom("ws://127.0.0.1:9/v1/realtime", api_key="k")))
    with pytest.raises(KeyError, match="not mocked"):
        mocks.calls("lookup_order")


async def test_a_script_mixes_typed_spoken_and_reactive_lines(agentkit_caller: Caller) -> None:
    def ask_again_if_delivered(last: Any) -> str | None:
        return "Cancel order A-1001" if last is not None and "delivered" in last.text else None

    turns = await agentkit_caller.run(
        ["Hello!", Speech("Where is order A-1001?"), ask_again_if_delivered, lambda last: None, "never sent"]
    )
    assert len(turns) == 3
    assert agentkit_caller.turns == turns
    expect(turns[0]).no_tool_called()
    expect(turns[1]).called("lookup_order", order_id="A-1001")
    expect(turns).called_in_order("lookup_order", "cancel_order")


async def test_speech_with_manual_turns_is_committed_by_the_caller(
    agentkit_server: LocalRealtimeServer,
) -> None:
    agent = Agent("shop", tools=[lookup_order], output_modalities=["text"], turn_detection="manual")
    async with agent.connect(agentkit_server.endpoint()) as session:
        turn = await Caller(session, timeout=20).speaks("Where is order A-1002?")
    expect(turn).called("lookup_order", order_id="A-1002")


async def test_a_call_a_person_turns_down_reads_as_rejected(agentkit_server: LocalRealtimeServer) -> None:
    @tool(needs_approval=True)
    def refund(order_id: str) -> str:
        """Refund an order.

        Args:
            order_id: The order id, like A-1001.
        """
        raise AssertionError("a rejected call never runs")

    async def approver(request: Any) -> Decision:
        return Decision.reject("refunds over 100 USD need a manager")

    agent = Agent("shop", tools=[refund], output_modalities=["text"], approver=approver)
    async with agent.connect(agentkit_server.endpoint()) as session:
        turn = await Caller(session, timeout=20).says("Please refund order A-1001")
    expect(turn).rejected("refund", order_id="A-1001", reason="need a manager").not_called(
        "refund", order_id="A-1002"
    )


class HeardAs:
    """A recogniser that hears the same words in any audio, and keeps what it was given."""

    def __init__(self, words: str) -> None:
        self.words = words
        self.lengths: list[int] = []

    def transcribe(self, pcm16: bytes, vocabulary: Any) -> str | None:
        self.lengths.append(len(pcm16))
        return self.words


@pytest.mark.parametrize("audio_format", ["g711_ulaw", "g711_alaw"])
async def test_a_phone_agents_caller_speaks_g711_and_is_heard_exactly_or_by_the_recogniser(
    audio_format: str,
) -> None:
    recogniser = HeardAs("where is order A-1002")
    async with LocalRealtimeServer(hearing=recogniser) as server:
        agent = Agent(
            "phone", tools=[lookup_order], output_modalities=["text"], input_audio_format=audio_format
        )
        async with agent.connect(server.endpoint()) as session:
            caller = Caller(session, timeout=20)
            exact = await caller.speaks("Please look up order A-1003.")
            assert recogniser.lengths == [], "marked speech survives the G.711 coding: heard exactly"
            recognised = await caller.speaks("Where is order A-1002?", recognised=True)
        [connection] = server.connections
    assert connection.session.input_audio_format == audio_format
    expect(exact).called("lookup_order", order_id="A-1003")
    expect(recognised).called("lookup_order", order_id="A-1002")
    assert recogniser.lengths, "plain speech went to the recogniser"
