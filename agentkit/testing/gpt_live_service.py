"""A local, sans-I/O GPT-Live service: what the real one checks and says, for offline tests.

It holds one session: `session.start` first (strict config, `model` required), then full duplex —
it starts its own turns, delegates a call when a registered keyword is heard in the input
transcript (or when its `model`, the local server's keyword model, picks one of the delegation's
functions), and waits for exactly one answer per delegated call. Commands GPT-Live does not have
(`response.cancel`, `conversation.item.truncate`, ...) get the `error` a real service sends. Its
context is append-only: the startup `input` history, then what was heard and said.
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

from agentkit.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    Item,
    MessageItem,
    assistant_text,
    system_text,
    user_text,
)
from agentkit.protocol.session_config import SessionConfig

if TYPE_CHECKING:
    from agentkit.testing.models import RealtimeModel

_SESSION_FIELDS = frozenset({"model", "instructions", "audio", "delegation", "input", "store"})
_COMMANDS = frozenset(
    {
        "session.update",
        "session.input_audio.append",
        "session.input_audio.mute",
        "session.input_audio.unmute",
        "session.close",
        "session.instructions.append",
        "session.thinking.append",
        "session.commentary.append",
        "response.item.create",
        "response.create",
    }
)


_ACKS = {
    "session.update": "session.updated",
    "session.input_audio.mute": "session.input_audio.muted",
    "session.input_audio.unmute": "session.input_audio.unmuted",
    "session.instructions.append": "session.instructions.appended",
}


class LocalGptLive:
    """Feed it client frames (`receive`), get back the server frames to send, in order."""

    def __init__(
        self, delegations: dict[str, tuple[str, str]] | None = None, model: RealtimeModel | None = None
    ) -> None:
        """`delegations`: heard keyword -> (function name, JSON arguments) the backend then calls;
        `model`: decides the other turns and calls from the delegation's functions (None: echo)."""
        self.delegations = dict(delegations or {})
        self.model = model
        self.session: dict[str, Any] = {}
        self.items: list[Item] = []
        """The append-only context: startup history, then what was heard, said, called and answered."""
        self.started = False
        self.closed = False
        self.open_calls: dict[str, str] = {}
        self.outputs: dict[str, str] = {}
        self.open_delegations: set[str] = set()
        """Client delegation: work handed to the application, not answered yet."""
        self.results: dict[str, tuple[str, str]] = {}
        """Client delegation: delegation id -> (`commentary` or `thinking`, the content appended)."""
        self._ids = itertools.count(1)

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "event_id": f"event_{next(self._ids)}", **fields}

    def error(self, code: str, message: str, client_event_id: Any = None) -> dict[str, Any]:
        error = {"type": "invalid_request_error", "code": code, "message": message}
        event = self._event("error", error=error)
        if isinstance(client_event_id, str):
            event["client_event_id"] = client_event_id
        return event

    def closing(self, reason: str) -> dict[str, Any]:
        """`session.closed`: why the session ended (`close_requested`, `expired`, `remote_hangup`, ...)."""
        return self._event("session.closed", reason=reason, usage={"seconds": 0})

    def receive(self, frame: str | bytes) -> list[dict[str, Any]]:
        try:
            data = json.loads(frame)
        except ValueError:
            return [self.error("invalid_json", "The frame is not valid JSON.")]
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return [self.error("invalid_event", "The event has no string `type`.")]
        kind, client_id = data["type"], data.get("event_id")
        if self.closed:
            return [self.error("session_closed", "The session is closed.", client_id)]
        if not self.started:
            return self._start(data, client_id)
        if kind not in _COMMANDS:
            return [self.error("unknown_event", f"Unknown event type `{kind}`.", client_id)]
        if kind == "session.close":
            self.closed = True
            return [self.closing("close_requested")]
        if kind == "response.item.create":
            if self.client_mode:
                return [
                    self.error(
                        "invalid_request", "response.item.create requires Responses delegation.", client_id
                    )
                ]
            return self._output(data.get("item"), client_id)
        if kind in ("session.commentary.append", "session.thinking.append"):
            return self._appended(data, client_id)
        if kind in ("response.create", "session.input_audio.append"):
            return []
        return [self._event(_ACKS[kind])]

    def _start(self, data: dict[str, Any], client_id: Any) -> list[dict[str, Any]]:
        session = data.get("session")
        if data["type"] != "session.start" or not isinstance(session, dict):
            return [self.error("session_not_started", "The first event must be `session.start`.", client_id)]
        unknown = sorted(set(session) - _SESSION_FIELDS)
        if unknown:
            return [self.error("unknown_parameter", f"Unknown session field `{unknown[0]}`.", client_id)]
        if not isinstance(session.get("model"), str) or not session["model"]:
            return [self.error("missing_required_parameter", "`session.model` is required.", client_id)]
        history = _history(session.get("input", []))
        if isinstance(history, str):
            return [self.error("invalid_input", history, client_id)]
        self.started = True
        self.session = session
        self.items = history
        return [self._event("session.started", session={"id": f"sess_local_{next(self._ids)}"})]

    @property
    def client_mode(self) -> bool:
        """Client delegation: an omitted or null `delegation`, or `{"type": "client"}`."""
        delegation = self.session.get("delegation")
        return delegation is None or (isinstance(delegation, dict) and delegation.get("type") == "client")

    def _appended(self, data: dict[str, Any], client_id: Any) -> list[dict[str, Any]]:
        """Commentary (spoken) or thinking (silent), for a client delegation or the whole session."""
        channel = "commentary" if data["type"] == "session.commentary.append" else "thinking"
        content, delegation_id = data.get("content"), data.get("delegation_id")
        if not isinstance(content, str) or not content:
            return [self.error("missing_required_parameter", "`content` is required.", client_id)]
        if delegation_id is not None:
            if delegation_id in self.results:
                return [
                    self.error("duplicate_result", f"Delegation `{delegation_id}` has its result.", client_id)
                ]
            if delegation_id not in self.open_delegations:
                return [self.error("unknown_delegation", f"No delegation `{delegation_id}`.", client_id)]
            self.open_delegations.discard(delegation_id)
            self.results[delegation_id] = (channel, content)
        ack = self._event(f"session.{channel}.appended")
        if channel == "thinking":
            self.items.append(system_text(content))
            return [ack]
        return [ack, *self._say(content)]

    def _hand_over(self) -> list[dict[str, Any]]:
        """Client delegation: hand the user's request to the application (the event holds no task text)."""
        delegation_id = f"del_{next(self._ids)}"
        self.open_delegations.add(delegation_id)
        return [
            self._event("session.delegation.created", delegation={"id": delegation_id, "target": "client"})
        ]

    def _tools(self) -> list[dict[str, Any]]:
        delegation = self.session.get("delegation")
        if isinstance(delegation, dict) and isinstance(delegation.get("responses"), dict):
            tools = delegation["responses"].get("tools")
            return (
                [tool for tool in tools if tool.get("type") == "function"] if isinstance(tools, list) else []
            )
        return []

    def _delegate(self, name: str, arguments: str) -> list[dict[str, Any]]:
        call_id = f"call_{next(self._ids)}"
        self.open_calls[call_id] = name
        self.items.append(FunctionCallItem(call_id=call_id, name=name, arguments=arguments))
        item = {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}
        done = {"type": "response.output_item.done", "item": item}
        return [
            self._event(
                "session.delegation.created", delegation={"id": f"del_{call_id}", "target": "responses"}
            ),
            self._event("response.event", delegation_id=f"del_{call_id}", event=done),
        ]

    def _turn(self, fallback: str) -> list[dict[str, Any]]:
        """The service's own next turn: the model's words and calls, or `fallback` without a model."""
        if self.model is None:
            return self._say(fallback)
        context = SessionConfig(instructions=self.session.get("instructions"), tools=self._tools())
        from agentkit.testing.models import Call, ModelContext

        frames: list[dict[str, Any]] = []
        for output in self.model.respond(ModelContext(items=list(self.items), session=context)):
            if isinstance(output, Call):
                arguments = output.arguments
                frames += self._delegate(
                    output.name, arguments if isinstance(arguments, str) else json.dumps(arguments)
                )
            else:
                frames += self._say(output.text)
        return frames

    def _say(self, text: str) -> list[dict[str, Any]]:
        """A spoken line, as transcript deltas a few words each (so it can be cut off mid-way)."""
        self.items.append(assistant_text(text))
        words = text.split(" ")
        chunks = [" ".join(words[at : at + 3]) for at in range(0, len(words), 3)]
        return [
            self._event("session.output_transcript.delta", delta=chunk if at == 0 else " " + chunk)
            for at, chunk in enumerate(chunks)
        ]

    def interrupted(self, said: str) -> None:
        """The user spoke over the service: only `said` of its last line was heard, so only that stays."""
        for at in range(len(self.items) - 1, -1, -1):
            item = self.items[at]
            if isinstance(item, MessageItem) and item.role == "assistant":
                self.items[at] = assistant_text(said)
                return

    def hear(self, text: str) -> list[dict[str, Any]]:
        """The user said `text`: its transcript, then the service's own turn (or a delegation)."""
        frames = [self._event("session.input_transcript.delta", delta=text)]
        self.items.append(user_text(text))
        for keyword, (name, arguments) in self.delegations.items():
            if keyword in text.lower():
                return frames + (self._hand_over() if self.client_mode else self._delegate(name, arguments))
        return frames + self._turn(f"You said: {text}")

    def _output(self, item: Any, client_id: Any) -> list[dict[str, Any]]:
        if not isinstance(item, dict) or item.get("type") != "function_call_output":
            return [self.error("invalid_item", "Expected a `function_call_output` item.", client_id)]
        call_id = item.get("call_id")
        if call_id in self.outputs:
            return [self.error("duplicate_output", f"Call `{call_id}` was already answered.", client_id)]
        if call_id not in self.open_calls:
            return [self.error("unknown_call", f"No delegated call `{call_id}`.", client_id)]
        self.outputs[call_id] = str(item.get("output", ""))
        del self.open_calls[call_id]
        self.items.append(FunctionCallOutputItem(call_id=call_id, output=self.outputs[call_id]))
        if self.open_calls:
            return []  # the backend answers once all its calls are back
        return self._turn(f"Done: {self.outputs[call_id]}")


_ROLES = {"user": user_text, "assistant": assistant_text, "developer": system_text}


def _history(messages: Any) -> list[Item] | str:
    """The startup `input`: text messages with one text part each, or why it is refused."""
    if not isinstance(messages, list):
        return "`session.input` must be a list of messages."
    items: list[Item] = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            return "Each `session.input` message needs a role: developer, user or assistant."
        content = message.get("content")
        if not isinstance(content, list) or len(content) != 1 or not isinstance(content[0], dict):
            return "Each `session.input` message needs exactly one text part."
        part = content[0]
        expected = "output_text" if message["role"] == "assistant" else "input_text"
        if part.get("type", expected) != expected or not isinstance(part.get("text"), str):
            return f"A {message['role']} message's part must be `{expected}` with a string `text`."
        items.append(_ROLES[message["role"]](part["text"]))
    return items
