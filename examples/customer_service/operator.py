"""`--serve`'s operator endpoint: supervisors approve or reject large refunds over a WebSocket.

The voice page's callers never see approval requests (the relay does not forward them); this endpoint,
on its own port and behind its own token, is where a supervisor sees them:

    ws://127.0.0.1:8081/operator?token=...     (the token is printed when the bot starts)

Each waiting refund arrives as `{"type": "approval.requested", "call_id", "tool", "arguments",
"summary"}`; the supervisor answers `{"type": "approve", "call_id"}` or `{"type": "reject", "call_id",
"reason"}`, and every connected supervisor gets `{"type": "approval.decided", ...}`. A decision for a
call that is not waiting is answered with `{"type": "error", "message"}`. Nobody connected, or nobody
deciding in time, leaves the agent's approval timeout to answer the call as not approved.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

import anyio
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from agentkit import ApprovalRequested, Decision

from .people import describe

logger = logging.getLogger("examples.customer_service.operator")

PATH = "/operator"


@dataclass
class _Waiting:
    request: ApprovalRequested
    done: anyio.Event = field(default_factory=anyio.Event)
    decision: Decision | None = None


class OperatorDesk:
    """The approver for `--serve`: waits for a supervisor's decision on the operator endpoint."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(18)
        self._waiting: dict[str, _Waiting] = {}
        self._operators: set[ServerConnection] = set()
        self._server: Server | None = None

    async def __call__(self, request: ApprovalRequested) -> Decision:
        waiting = _Waiting(request)
        self._waiting[request.call_id] = waiting
        await self._broadcast(_requested(request))
        try:
            await waiting.done.wait()
        finally:
            self._waiting.pop(request.call_id, None)
        assert waiting.decision is not None
        return waiting.decision

    @property
    def pending(self) -> list[str]:
        return list(self._waiting)

    async def start(self, host: str, port: int) -> int:
        """Listen; returns the port (0 picks one)."""
        self._server = await serve(self._serve, host, port, process_request=self._check, server_header=None)
        bound: int = next(iter(self._server.sockets)).getsockname()[1]
        return bound

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
            self._server = None

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        path, _, query = request.path.partition("?")
        if path != PATH:
            return connection.respond(404, "Not found\n")
        given = dict(part.partition("=")[::2] for part in query.split("&") if part).get("token", "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return connection.respond(401, "An operator token is required (?token=...).\n")
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        self._operators.add(connection)
        try:
            for waiting in list(self._waiting.values()):
                await connection.send(json.dumps(_requested(waiting.request)))
            async for message in connection:
                reply = self._decide(message)
                if reply["type"] == "error":
                    await connection.send(json.dumps(reply))
                else:
                    await self._broadcast(reply)  # every supervisor sees it was decided
        except ConnectionClosed:
            pass
        finally:
            self._operators.discard(connection)

    def _decide(self, message: str | bytes) -> dict[str, Any]:
        try:
            command = json.loads(message)
            kind, call_id = command["type"], str(command["call_id"])
        except (ValueError, KeyError, TypeError):
            return {"type": "error", "message": 'send {"type": "approve" | "reject", "call_id": ...}'}
        waiting = self._waiting.get(call_id)
        if waiting is None or waiting.done.is_set():
            return {"type": "error", "message": f"call {call_id} is not waiting for approval"}
        if kind == "approve":
            waiting.decision = Decision.approve()
        elif kind == "reject":
            waiting.decision = Decision.reject(str(command.get("reason") or "a supervisor turned it down"))
        else:
            return {"type": "error", "message": f"unknown command {kind!r}: approve or reject"}
        waiting.done.set()
        return {"type": "approval.decided", "call_id": call_id, "approved": waiting.decision.approved}

    async def _broadcast(self, event: dict[str, Any]) -> None:
        text = json.dumps(event)
        for operator in list(self._operators):
            try:
                await operator.send(text)
            except ConnectionClosed:
                self._operators.discard(operator)


def _requested(request: ApprovalRequested) -> dict[str, Any]:
    return {
        "type": "approval.requested",
        "call_id": request.call_id,
        "tool": request.name,
        "arguments": request.arguments,
        "summary": describe(request),
    }
