"""Running calls: every failure path gives exactly one outcome whose text tells the model why."""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from agentkit.tools import COMPLETED, ToolContext, ToolError, ToolOutcome, Toolset, execute_tool, tool

pytestmark = pytest.mark.anyio


class Order(BaseModel):
    order_id: str
    total: float


@dataclasses.dataclass
class Receipt:
    number: int


@tool
def lookup_order(order_id: str, quantity: int = 1) -> Order:
    """Look up an order."""
    return Order(order_id=order_id, total=2.5 * quantity)


async def run(t: Any, arguments: str, **kwargs: Any) -> ToolOutcome:
    name = kwargs.pop("name", getattr(t, "name", "missing"))
    with anyio.fail_after(10):
        return await execute_tool(t, name=name, call_id="call_1", arguments=arguments, **kwargs)


async def test_ok_result_is_json_of_the_model() -> None:
    outcome = await run(lookup_order, '{"order_id": "A1", "quantity": 2}')
    assert outcome == ToolOutcome(
        "call_1", "lookup_order", '{"order_id":"A1","total":5.0}', value=Order(order_id="A1", total=5.0)
    )
    assert outcome.ok


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain text", "plain text"),
        (None, COMPLETED),
        ({"a": [1, 2]}, '{"a":[1,2]}'),
        ([Receipt(3)], '[{"number":3}]'),
        (7, "7"),
    ],
)
async def test_results_render_as_text_for_the_model(value: Any, text: str) -> None:
    @tool
    def give() -> Any:
        return value

    assert (await run(give, "{}")).output == text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("{not json", "invalid arguments for tool lookup_order: arguments are not valid JSON ("),
        ("[1, 2]", "invalid arguments for tool lookup_order: arguments must be a JSON object, got an array"),
        ("{}", "invalid arguments for tool lookup_order: order_id: Field required"),
        (
            '{"order_id": "A", "colour": 1}',
            "invalid arguments for tool lookup_order: colour: unknown argument",
        ),
        (
            '{"order_id": "A", "quantity": "two"}',
            "invalid arguments for tool lookup_order: quantity: Input should be a valid integer, "
            'unable to parse string as an integer (got "two")',
        ),
    ],
)
async def test_invalid_arguments_name_the_problem(arguments: str, message: str) -> None:
    outcome = await run(lookup_order, arguments)
    assert outcome.status == "invalid_arguments"
    assert outcome.output.startswith(message)
    assert "https://" not in outcome.output


async def test_tool_error_text_is_shown_verbatim() -> None:
    @tool
    async def refund(order_id: str) -> str:
        raise ToolError(f"order {order_id} was already refunded")

    outcome = await run(refund, '{"order_id": "A7"}')
    assert (outcome.status, outcome.output) == ("tool_error", "order A7 was already refunded")
    assert isinstance(outcome.error, ToolError)


async def test_unexpected_exception_is_described_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    @tool
    def divide(a: int, b: int) -> float:
        return a / b

    with caplog.at_level(logging.ERROR, logger="agentkit.tools"):
        outcome = await run(divide, '{"a": 1, "b": 0}')
    assert outcome.status == "error"
    assert outcome.output == "tool divide failed: ZeroDivisionError: division by zero"
    assert "Traceback" not in outcome.output
    assert isinstance(outcome.error, ZeroDivisionError)
    assert [record.exc_info is not None for record in caplog.records] == [True]


async def test_unserialisable_result_is_an_error() -> None:
    @tool
    def odd() -> object:
        return object()

    outcome = await run(odd, "{}")
    assert outcome.status == "error"
    assert outcome.output.startswith("tool odd failed: PydanticSerializationError")


async def test_unknown_tool_lists_the_available_ones() -> None:
    outcome = await run(None, "{}", name="refund", available=["lookup_order", "cancel"])
    assert outcome.status == "unknown_tool"
    assert outcome.output == "unknown tool refund; available: cancel, lookup_order"
    assert (await run(None, "{}", name="x")).output == "unknown tool x; available: none"


async def test_async_timeout_cancels_the_coroutine() -> None:
    cancelled = anyio.Event()

    @tool(timeout=0.05)
    async def slow() -> str:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()
        return "never"

    outcome = await run(slow, "{}")
    assert (outcome.status, outcome.output) == ("timeout", "tool slow timed out after 0.05s")
    assert not outcome.thread_abandoned
    assert cancelled.is_set()


async def test_sync_timeout_abandons_the_thread(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()

    @tool
    def blocking() -> str:
        release.wait(10)
        return "late"

    try:
        with caplog.at_level(logging.WARNING, logger="agentkit.tools"):
            outcome = await run(blocking, "{}", default_timeout=0.05)
    finally:
        release.set()
    assert (outcome.status, outcome.output) == ("timeout", "tool blocking timed out after 0.05s")
    assert outcome.thread_abandoned
    assert "worker thread was abandoned" in caplog.text


async def test_tool_timeout_wins_over_default() -> None:
    @tool(timeout=5)
    async def quick() -> str:
        await anyio.sleep(0.01)
        return "in time"

    assert (await run(quick, "{}", default_timeout=0.001)).output == "in time"


async def test_sync_tools_run_in_worker_threads_async_on_the_loop() -> None:
    loop_thread = threading.get_ident()

    @tool
    def where_sync() -> bool:
        return threading.get_ident() != loop_thread

    @tool
    async def where_async() -> bool:
        return threading.get_ident() == loop_thread

    assert (await run(where_sync, "{}")).value is True
    assert (await run(where_async, "{}")).value is True


async def test_context_is_injected_with_deps_and_progress() -> None:
    notes: list[tuple[str, str, dict[str, Any]]] = []

    async def hook(ctx: ToolContext[Any], message: str, data: dict[str, Any]) -> None:
        notes.append((ctx.call_id, message, data))

    @tool
    async def greet(name: str, ctx: ToolContext[dict[str, str]]) -> str:
        await ctx.report_progress("greeting", step=1)
        return f"{ctx.deps['greeting']}, {name} ({ctx.tool_name}/{ctx.call_id})"

    context = ToolContext(call_id="call_1", tool_name="greet", deps={"greeting": "Hi"}, progress_hook=hook)
    outcome = await run(greet, '{"name": "Ada"}', context=context)
    assert outcome.output == "Hi, Ada (greet/call_1)"
    assert notes == [("call_1", "greeting", {"step": 1})]


async def test_sync_tool_reports_progress_through_the_loop() -> None:
    notes: list[str] = []

    async def hook(ctx: ToolContext[Any], message: str, data: dict[str, Any]) -> None:
        notes.append(message)

    @tool
    def work(ctx: ToolContext[None]) -> str:
        anyio.from_thread.run(ctx.report_progress, "half way")
        return "done"

    context = ToolContext(call_id="call_1", tool_name="work", deps=None, progress_hook=hook)
    assert (await run(work, "{}", context=context)).output == "done"
    assert notes == ["half way"]


async def test_failing_progress_hook_does_not_fail_the_tool() -> None:
    async def hook(ctx: ToolContext[Any], message: str, data: dict[str, Any]) -> None:
        raise RuntimeError("hook broke")

    @tool
    async def work(ctx: ToolContext[None]) -> str:
        await ctx.report_progress("x")
        return "fine"

    context = ToolContext(call_id="call_1", tool_name="work", deps=None, progress_hook=hook)
    assert (await run(work, "{}", context=context)).output == "fine"


async def test_default_context_when_none_given() -> None:
    @tool
    def ids(ctx: ToolContext[None]) -> str:
        return f"{ctx.call_id}:{ctx.tool_name}:{ctx.deps}"

    assert (await run(ids, "{}")).output == "call_1:ids:None"


async def test_methods_and_positional_only_parameters() -> None:
    class Counter:
        def __init__(self) -> None:
            self.total = 0

        @tool
        def add(self, amount: int, /, ctx: ToolContext[None]) -> int:
            self.total += amount
            return self.total

    counter = Counter()
    assert (await run(counter.add, '{"amount": 4}')).output == "4"
    assert counter.total == 4


async def test_raw_schema_tool_gets_the_arguments_object() -> None:
    @tool(parameters={"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]})
    async def raw(arguments: dict[str, Any]) -> dict[str, Any]:
        return {"echo": arguments}

    assert (await run(raw, '{"q": "hi"}')).output == '{"echo":{"q":"hi"}}'
    missing = await run(raw, "{}")
    assert missing.status == "invalid_arguments"
    assert missing.output == "invalid arguments for tool raw: q: Field required"
    not_object = await run(raw, '"hi"')
    assert not_object.output == "invalid arguments for tool raw: arguments must be a JSON object, got str"


async def test_too_deeply_nested_arguments_are_invalid_not_a_crash() -> None:
    @tool(parameters={"type": "object", "properties": {"q": {"type": "array"}}})
    async def raw(arguments: dict[str, Any]) -> str:
        return "ran"

    deep = '{"q": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for target in (raw, lookup_order):
        outcome = await run(target, deep)
        assert outcome.status == "invalid_arguments"
        assert "arguments are not valid JSON" in outcome.output


async def test_limiter_bounds_concurrent_calls() -> None:
    limiter = anyio.CapacityLimiter(2)
    running = 0
    peak = 0
    gate = anyio.Event()

    @tool
    async def busy() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await gate.wait()
        running -= 1

    outcomes: list[ToolOutcome] = []

    async def one() -> None:
        outcomes.append(await run(busy, "{}", limiter=limiter))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(one)
            await anyio.wait_all_tasks_blocked()
            assert running == 2
            assert limiter.statistics().tasks_waiting == 3
            gate.set()
    assert peak == 2
    assert [o.status for o in outcomes] == ["ok"] * 5


async def test_caller_cancellation_propagates_and_cancelled_outcome() -> None:
    started = anyio.Event()

    @tool
    async def hang() -> None:
        started.set()
        await anyio.sleep_forever()

    returned: list[ToolOutcome] = []

    async def call() -> None:
        returned.append(await run(hang, "{}"))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await started.wait()
            tg.cancel_scope.cancel()
    assert returned == []  # the cancellation reached the caller instead of becoming an outcome
    outcome = ToolOutcome.cancelled("call_1", "hang", "the user interrupted")
    assert (outcome.status, outcome.output) == ("cancelled", "tool hang was cancelled: the user interrupted")
    assert ToolOutcome.cancelled("c", "t").output == "tool t was cancelled"


async def test_toolset_lookup_feeds_execute() -> None:
    tools = Toolset([lookup_order])
    outcome = await run(tools.get("nope"), "{}", name="nope", available=tools.names())
    assert outcome.output == "unknown tool nope; available: lookup_order"
