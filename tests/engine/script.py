"""Builders for canonical server events and a harness that records every action the engine returns."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from agentkit.engine import Action, AppEvent, CallPolicy, CancelCall, Emit, Send, StartCall, TurnEngine
from agentkit.protocol import (
    ClientEvent,
    ConversationItemAdded,
    ConversationItemCreate,
    ErrorDetail,
    ErrorEvent,
    FunctionCallItem,
    FunctionCallOutputItem,
    InputAudioBufferSpeechStarted,
    Item,
    MessageItem,
    OutputAudioPart,
    Response,
    ResponseAudioDelta,
    ResponseCreate,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ResponseTextDelta,
    ServerEvent,
    SessionConfig,
    Usage,
)

E = TypeVar("E", bound=AppEvent)
C = TypeVar("C", bound=ClientEvent)


def created(rid: str) -> ResponseCreated:
    return ResponseCreated(response=Response(id=rid))


def done(
    rid: str, status: str = "completed", output: Iterable[Item] = (), usage: Usage | None = None
) -> ResponseDone:
    return ResponseDone(response=Response(id=rid, status=status, output=list(output), usage=usage))


def fc_added(
    rid: str, index: int, call_id: str, name: str = "lookup", item_id: str | None = None
) -> ServerEvent:
    item = FunctionCallItem(id=item_id or f"item_{call_id}", call_id=call_id, name=name, status="in_progress")
    return ResponseOutputItemAdded(response_id=rid, output_index=index, item=item)


def fc_delta(rid: str, index: int, call_id: str, delta: str, item_id: str | None = None) -> ServerEvent:
    return ResponseFunctionCallArgumentsDelta(
        response_id=rid,
        output_index=index,
        item_id=item_id or f"item_{call_id}",
        call_id=call_id,
        delta=delta,
    )


def fc_args_done(
    rid: str,
    index: int,
    call_id: str,
    arguments: str,
    name: str | None = "lookup",
    item_id: str | None = None,
) -> ServerEvent:
    return ResponseFunctionCallArgumentsDone(
        response_id=rid,
        output_index=index,
        item_id=item_id or f"item_{call_id}",
        call_id=call_id,
        arguments=arguments,
        name=name,
    )


def fc_item(
    call_id: str, arguments: str = "{}", name: str = "lookup", status: str = "completed"
) -> FunctionCallItem:
    return FunctionCallItem(
        id=f"item_{call_id}", call_id=call_id, name=name, arguments=arguments, status=status
    )


def fc_item_done(
    rid: str, index: int, call_id: str, arguments: str = "{}", status: str = "completed", name: str = "lookup"
) -> ServerEvent:
    return ResponseOutputItemDone(
        response_id=rid, output_index=index, item=fc_item(call_id, arguments, name, status)
    )


def call_events(
    rid: str, index: int, call_id: str, arguments: str = '{"q": 1}', name: str = "lookup"
) -> list[ServerEvent]:
    """The GA stream of one complete function call (added, two deltas, done, item done)."""
    half = len(arguments) // 2
    return [
        fc_added(rid, index, call_id, name),
        fc_delta(rid, index, call_id, arguments[:half]),
        fc_delta(rid, index, call_id, arguments[half:]),
        fc_args_done(rid, index, call_id, arguments, name),
        fc_item_done(rid, index, call_id, arguments, name=name),
    ]


def output_acked(call_id: str) -> ServerEvent:
    return ConversationItemAdded(
        item=FunctionCallOutputItem(id=f"out_{call_id}", call_id=call_id, output="x")
    )


def error(code: str | None, event_id: str | None = None, message: str = "bad") -> ErrorEvent:
    return ErrorEvent(
        error=ErrorDetail(type="invalid_request_error", code=code, message=message, event_id=event_id)
    )


def speech_started() -> ServerEvent:
    return InputAudioBufferSpeechStarted(item_id="item_user_audio")


def audio(rid: str, item_id: str, ms: int) -> ServerEvent:
    """`ms` milliseconds of pcm16 24 kHz audio (48 bytes a millisecond)."""
    return ResponseAudioDelta(
        response_id=rid, item_id=item_id, delta=base64.b64encode(b"\0" * (48 * ms)).decode()
    )


def text(rid: str, item_id: str, delta: str) -> ServerEvent:
    return ResponseTextDelta(response_id=rid, item_id=item_id, delta=delta)


def assistant_message(item_id: str, transcript: str) -> MessageItem:
    return MessageItem(id=item_id, role="assistant", content=[OutputAudioPart(transcript=transcript)])


class Harness:
    """Drives one engine with a fake clock and keeps every action, in order."""

    def __init__(
        self,
        session: SessionConfig | None = None,
        policy: Callable[[str], CallPolicy] | None = None,
        *,
        connect: bool = True,
        **options: Any,
    ) -> None:
        """`options`: more `TurnEngine` keywords (approvals, fillers, ...)."""
        counter = itertools.count(1)
        kwargs: dict[str, Any] = {"new_event_id": lambda: f"evt_{next(counter)}", **options}
        if policy is not None:
            kwargs["policy"] = policy
        self.engine = TurnEngine(session, **kwargs)
        self.now = 0.0
        self.actions: list[Action] = []
        if connect:
            self.run(self.engine.connected(self.now))

    def run(self, actions: list[Action]) -> list[Action]:
        self.actions.extend(actions)
        return actions

    def feed(self, *events: ServerEvent) -> list[Action]:
        out: list[Action] = []
        for event in events:
            out.extend(self.run(self.engine.receive(event, self.now)))
        return out

    def finish(self, call_id: str, output: str = "result", status: str = "ok") -> list[Action]:
        return self.run(self.engine.call_finished(call_id, output, status=status, now=self.now))

    # -- views -----------------------------------------------------------------------------------

    def sent(self, kind: type[C], actions: list[Action] | None = None) -> list[C]:
        source = self.actions if actions is None else actions
        return [a.event for a in source if isinstance(a, Send) and isinstance(a.event, kind)]

    def emitted(self, kind: type[E], actions: list[Action] | None = None) -> list[E]:
        source = self.actions if actions is None else actions
        return [a.event for a in source if isinstance(a, Emit) and isinstance(a.event, kind)]

    def started(self) -> list[str]:
        return [a.call_id for a in self.actions if isinstance(a, StartCall)]

    def cancelled(self) -> list[str]:
        return [a.call_id for a in self.actions if isinstance(a, CancelCall)]

    def outputs(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for event in self.sent(ConversationItemCreate):
            if isinstance(event.item, FunctionCallOutputItem):
                result.setdefault(event.item.call_id, []).append(event.item.output)
        return result

    def creates(self) -> list[ResponseCreate]:
        return self.sent(ResponseCreate)

    def index_of(self, predicate: Callable[[Action], bool]) -> int:
        return next(i for i, a in enumerate(self.actions) if predicate(a))
