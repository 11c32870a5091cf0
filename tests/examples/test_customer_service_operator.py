"""The bot's operator endpoint (`--serve --approvals ask`): supervisors decide waiting refunds over a
WebSocket behind a token; callers never see it."""

from __future__ import annotations

import json

import anyio
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from agentkit import ApprovalRequested, Decision
from examples.customer_service.operator import PATH, OperatorDesk

pytestmark = pytest.mark.anyio


def _request(call_id: str) -> ApprovalRequested:
    arguments = '{"order_id": "A-1001", "reason": "broken key", "confirm": true}'
    return ApprovalRequested(
        time=0.0, call_id=call_id, name="start_refund", arguments=arguments, response_id="r1", deadline=None
    )


async def test_a_supervisor_sees_the_waiting_refund_and_decides_it() -> None:
    desk = OperatorDesk()
    port = await desk.start("127.0.0.1", 0)
    decisions: list[Decision] = []
    try:
        with anyio.fail_after(10):
            url = f"ws://127.0.0.1:{port}{PATH}?token={desk.token}"
            async with connect(url) as supervisor, anyio.create_task_group() as tg:

                async def wait_for(call_id: str) -> None:
                    decisions.append(await desk(_request(call_id)))

                tg.start_soon(wait_for, "call_1")
                tg.start_soon(wait_for, "call_2")
                shown = [json.loads(await supervisor.recv()) for _ in range(2)]
                assert {s["call_id"] for s in shown} == {"call_1", "call_2"}
                assert shown[0]["summary"] == "refund of order A-1001 (broken key)"
                await supervisor.send(json.dumps({"type": "approve", "call_id": "call_1"}))
                assert json.loads(await supervisor.recv())["approved"] is True
                await supervisor.send(
                    json.dumps({"type": "reject", "call_id": "call_2", "reason": "no receipt"})
                )
                assert json.loads(await supervisor.recv())["approved"] is False
                await supervisor.send(json.dumps({"type": "approve", "call_id": "call_1"}))
                again = json.loads(await supervisor.recv())
                assert again == {"type": "error", "message": "call call_1 is not waiting for approval"}
    finally:
        await desk.stop()
    assert sorted((d.approved, d.reason) for d in decisions) == [(False, "no receipt"), (True, "")]


async def test_the_endpoint_needs_the_operator_token() -> None:
    desk = OperatorDesk()
    port = await desk.start("127.0.0.1", 0)
    try:
        for query in ("", "?token=wrong"):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"ws://127.0.0.1:{port}{PATH}{query}"):
                    pass
            assert refused.value.response.status_code == 401
    finally:
        await desk.stop()
