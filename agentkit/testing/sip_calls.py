"""SIP calls on the local server: the REST side of the Realtime API's SIP support, offline.

A test (or the simulated SIP caller) rings a call with `LocalCalls.ring`; the application then
answers it the way it answers the service: `POST {base}/realtime/calls/{call_id}/accept` with the
session, `/reject` with a SIP status, `/refer` with a `target_uri`, `/hangup`. Each call keeps its
state and what it was sent, for assertions. Paths work under `/v1` (OpenAI) and `/openai/v1` (Azure).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agentkit.http_posts import HttpReply, HttpRequest
from agentkit.protocol import SessionConfig
from agentkit.protocol.dialects import session_from_wire
from agentkit.testing.routing import Authenticator

_PATH = re.compile(
    r"^(?:/openai)?/v1/realtime/calls/(?P<call_id>[^/]+)/(?P<action>accept|reject|refer|hangup)$"
)
_TARGET = re.compile(r"^(tel:\+?[0-9*#]{2,32}|sips?:[^\s]+@[^\s]+)$")


@dataclass
class LocalCall:
    call_id: str
    caller: str
    callee: str
    state: str = "ringing"
    """`ringing`, `accepted`, `rejected`, `referred` or `ended`."""
    session: dict[str, Any] | None = None
    """The session the application accepted the call with."""
    reject_status: int | None = None
    refer_target: str | None = None
    actions: list[str] = field(default_factory=list)


def _reply(status: int, body: dict[str, Any]) -> HttpReply:
    return HttpReply(status, json.dumps(body).encode(), {"content-type": "application/json"})


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": "invalid_request_error", "code": code, "message": message}}


StartCall = Callable[[str, SessionConfig], Awaitable[object]]
EndCall = Callable[[str], Awaitable[None]]


class LocalCalls:
    """The SIP calls of one local server, by id. An accepted call starts a live call (`start_call`)
    that a sideband can attach to by `call_id`; a hang-up ends it (`end_call`)."""

    def __init__(self, auth: Authenticator, start_call: StartCall, end_call: EndCall) -> None:
        self.calls: dict[str, LocalCall] = {}
        self.last: tuple[str, str] | None = None
        """(call id, action) of the latest request that succeeded."""
        self._auth = auth
        self._start_call = start_call
        self._end_call = end_call

    async def answer(self, request: HttpRequest) -> HttpReply | None:
        """The reply to a REST request about a SIP call rung here; None for anything else."""
        found = _PATH.match(request.target.split("?")[0])
        if found is None or found["call_id"] not in self.calls:
            return None
        if request.method != "POST":
            return _reply(*_error(405, "method_not_allowed", "Use POST."))
        refusal = self._auth.check(request.target, request.headers)
        if refusal is not None:
            return _reply(refusal.status, {"error": {"code": refusal.code, "message": refusal.message}})
        status, answer = self.handle(request.target, request.body)
        if status == 200 and self.last is not None:
            call_id, action = self.last
            call = self.calls[call_id]
            if action == "accept":
                await self._start_call(call_id, SessionConfig.model_validate(session_from_wire(call.session)))
            elif action == "hangup":
                await self._end_call(call_id)
        return _reply(status, answer if answer is not None else {})

    def ring(self, caller: str = "+15551230001", callee: str = "+15559870002") -> LocalCall:
        call = LocalCall(f"rtc_{secrets.token_hex(12)}", caller, callee)
        self.calls[call.call_id] = call
        return call

    def handle(self, path: str, body: bytes) -> tuple[int, dict[str, Any] | None]:
        """Carry out one REST request: (HTTP status, JSON answer or None for an empty 200)."""
        found = _PATH.match(path.split("?")[0])
        if found is None:
            return _error(404, "not_found", "No such endpoint.")
        call = self.calls.get(found["call_id"])
        if call is None:
            return _error(404, "call_not_found", "No call with that id.")
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            return _error(400, "invalid_json", "The body is not JSON.")
        if not isinstance(data, dict):
            return _error(400, "invalid_json", "The body must be a JSON object.")
        action = found["action"]
        call.actions.append(action)
        status, answer = getattr(self, f"_{action}")(call, data)
        self.last = (call.call_id, action) if status == 200 else None
        return status, answer

    def _accept(self, call: LocalCall, data: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        if call.state != "ringing":
            return _error(409, "call_not_ringing", f"The call is {call.state}.")
        if data.get("type") != "realtime":
            return _error(400, "invalid_value", "session type must be 'realtime'.")
        call.state, call.session = "accepted", data
        return 200, None

    def _reject(self, call: LocalCall, data: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        if call.state != "ringing":
            return _error(409, "call_not_ringing", f"The call is {call.state}.")
        status = data.get("status_code", 603)
        if not isinstance(status, int) or not 400 <= status <= 699:
            return _error(400, "invalid_value", "status_code must be a SIP error status (400-699).")
        call.state, call.reject_status = "rejected", status
        return 200, None

    def _refer(self, call: LocalCall, data: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        if call.state != "accepted":
            return _error(409, "call_not_active", f"The call is {call.state}.")
        target = data.get("target_uri")
        if not isinstance(target, str) or not _TARGET.match(target):
            return _error(400, "invalid_value", "target_uri must be a tel: or sip: URI.")
        call.state, call.refer_target = "referred", target
        return 200, None

    def _hangup(self, call: LocalCall, data: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        if call.state not in ("accepted", "referred"):
            return _error(409, "call_not_active", f"The call is {call.state}.")
        call.state = "ended"
        return 200, None
