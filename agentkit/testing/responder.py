"""Turns what a model decided (`Say`, `Call`) into the event stream of one response, in the order
the real service uses for each dialect (protocol.md §4.1).

Sans-I/O: `ResponseStream` yields canonical events and records what it has opened, so that a
response cut short (cancelled, interrupted) can still be closed properly with `close()`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

from agentkit.protocol import (
    ConversationItemAdded,
    ConversationItemDone,
    Dialect,
    FunctionCallItem,
    Item,
    MessageItem,
    OutputAudioPart,
    OutputTextPart,
    RateLimit,
    RateLimitsUpdated,
    Response,
    ResponseAudioDelta,
    ResponseAudioDone,
    ResponseAudioTranscriptDelta,
    ResponseAudioTranscriptDone,
    ResponseContentPartAdded,
    ResponseContentPartDone,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ResponseTextDelta,
    ResponseTextDone,
    ServerEvent,
    StatusDetails,
    TokenDetails,
    Usage,
    event_id,
    new_id,
)
from agentkit.testing import audio
from agentkit.testing.conversation import Conversation
from agentkit.testing.models import Call, Output, Say

DELTA_EVENTS: tuple[type[ServerEvent], ...] = (
    ResponseTextDelta,
    ResponseAudioDelta,
    ResponseAudioTranscriptDelta,
    ResponseFunctionCallArgumentsDelta,
)
"""Events that carry a piece of the answer (subject to the delta timings)."""

Synthesizer = Callable[[str, str | None], bytes]

_ARGUMENT_PIECES = 4


def _words(text: str) -> list[str]:
    """Text split into deltas the way the service does: a word and the space before it."""
    return re.findall(r"\s*\S+", text) or ([text] if text else [])


def _pieces(text: str, count: int) -> list[str]:
    size = max(1, -(-len(text) // count))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


@dataclass
class ResponseSettings:
    """What shapes one response: the session merged with the `response.create` overrides."""

    dialect: Dialect
    modalities: list[str]
    voice: str | None
    audio_format: str
    chunk_ms: int = 200
    metadata: dict[str, object] | None = None
    max_output_tokens: int | str | None = "inf"
    interleave: bool = False


@dataclass
class _OpenItem:
    output_index: int
    item: Item
    done: bool = False
    audio_ms: int = 0
    text: str = ""
    closing: list[ServerEvent] = field(default_factory=list)


class ResponseStream:
    """One response: `events()` streams it; `close(status, reason)` ends it early and truthfully."""

    def __init__(
        self,
        outputs: Sequence[Output],
        settings: ResponseSettings,
        conversation: Conversation | None,
        synthesize: Synthesizer,
        input_tokens: int = 0,
    ) -> None:
        self.id = new_id("resp")
        self.settings = settings
        self.conversation = conversation
        """None for an out-of-band response (`conversation: "none"`), which changes nothing."""
        self._outputs = list(outputs)
        self._synthesize = synthesize
        self._input_tokens = input_tokens
        self._open: list[_OpenItem] = []
        self._text_tokens = 0
        self._audio_tokens = 0
        self.finished = False

    # -- helpers ---------------------------------------------------------------------------------

    @property
    def _ga(self) -> bool:
        return self.settings.dialect is Dialect.GA

    def _response(self, status: str, reason: str | None = None) -> Response:
        fields: dict[str, object] = {
            "id": self.id,
            "status": status,
            "output": [entry.item for entry in self._open],
            "conversation_id": self.conversation.id if self.conversation else None,
            "output_modalities": self.settings.modalities,
            "max_output_tokens": self.settings.max_output_tokens,
            "metadata": self.settings.metadata,
        }
        if status != "in_progress":
            kind = {"completed": None, "cancelled": "cancelled", "incomplete": "incomplete"}.get(status)
            if kind:
                fields["status_details"] = StatusDetails(type=kind, reason=reason)
            output_tokens = self._text_tokens + self._audio_tokens
            fields["usage"] = Usage(
                total_tokens=self._input_tokens + output_tokens,
                input_tokens=self._input_tokens,
                output_tokens=output_tokens,
                input_token_details=TokenDetails(
                    text_tokens=self._input_tokens, audio_tokens=0, cached_tokens=0
                ),
                output_token_details=TokenDetails(
                    text_tokens=self._text_tokens, audio_tokens=self._audio_tokens
                ),
            )
        return Response.model_validate(fields)

    def _added(self, entry: _OpenItem) -> Iterator[ServerEvent]:
        previous = None
        if self.conversation is not None:
            _, previous = self.conversation.add(entry.item)
        yield ResponseOutputItemAdded(
            event_id=event_id(), response_id=self.id, output_index=entry.output_index, item=entry.item
        )
        if self.conversation is not None:
            yield ConversationItemAdded(event_id=event_id(), previous_item_id=previous, item=entry.item)

    def _finish_item(self, entry: _OpenItem, status: str) -> list[ServerEvent]:
        entry.item = entry.item.model_copy(update={"status": status})
        entry.done = True
        events: list[ServerEvent] = []
        if self.conversation is not None:
            self.conversation.replace(entry.item)
            if entry.audio_ms and entry.item.id:
                self.conversation.audio_ms[entry.item.id] = entry.audio_ms
            if self._ga:
                events.append(ConversationItemDone(event_id=event_id(), item=entry.item))
        events.append(
            ResponseOutputItemDone(
                event_id=event_id(), response_id=self.id, output_index=entry.output_index, item=entry.item
            )
        )
        return events

    # -- streaming -------------------------------------------------------------------------------

    def events(self) -> Iterator[ServerEvent]:
        """Every event of the response, `response.created` to `response.done` and the rate limits."""
        yield ResponseCreated(event_id=event_id(), response=self._response("in_progress"))
        streams = [self._stream_output(index, output) for index, output in enumerate(self._outputs)]
        if self.settings.interleave:
            for round_ in zip_longest(*streams):
                yield from (event for event in round_ if event is not None)
        else:
            for stream in streams:
                yield from stream
        self.finished = True
        yield ResponseDone(event_id=event_id(), response=self._response("completed"))
        yield self._rate_limits()

    def close(self, status: str, reason: str) -> list[ServerEvent]:
        """End the response early: close what is open (status `incomplete`), then `response.done`."""
        events: list[ServerEvent] = []
        for entry in self._open:
            if entry.done:
                continue
            events.extend(entry.closing)
            events.extend(self._finish_item(entry, "incomplete"))
        self.finished = True
        events.append(ResponseDone(event_id=event_id(), response=self._response(status, reason)))
        events.append(self._rate_limits())
        return events

    def _rate_limits(self) -> RateLimitsUpdated:
        used = self._input_tokens + self._text_tokens + self._audio_tokens
        return RateLimitsUpdated(
            event_id=event_id(),
            rate_limits=[
                RateLimit(name="requests", limit=5000, remaining=4999, reset_seconds=0.012),
                RateLimit(name="tokens", limit=800_000, remaining=800_000 - used, reset_seconds=0.5),
            ],
        )

    def _stream_output(self, index: int, output: Output) -> Iterator[ServerEvent]:
        if isinstance(output, Call):
            return self._stream_call(index, output)
        if isinstance(output, Say):
            return self._stream_message(index, output.text)
        raise TypeError(f"a model returned {output!r}; expected Say or Call")

    def _stream_message(self, index: int, text: str) -> Iterator[ServerEvent]:
        spoken = "audio" in self.settings.modalities
        item_id = new_id("item")
        entry = _OpenItem(index, MessageItem(id=item_id, role="assistant", status="in_progress", content=[]))
        self._open.append(entry)
        yield from self._added(entry)
        ids = {"response_id": self.id, "item_id": item_id, "output_index": index, "content_index": 0}
        empty = OutputAudioPart(transcript="") if spoken else OutputTextPart(text="")
        yield ResponseContentPartAdded(event_id=event_id(), part=empty, **ids)

        def final_part() -> OutputAudioPart | OutputTextPart:
            if spoken:
                return OutputAudioPart(transcript=entry.text)
            return OutputTextPart(text=entry.text)

        def closing() -> list[ServerEvent]:
            entry.item = entry.item.model_copy(update={"content": [final_part()]})
            done: list[ServerEvent] = (
                [
                    ResponseAudioDone(event_id=event_id(), **ids),
                    ResponseAudioTranscriptDone(event_id=event_id(), transcript=entry.text, **ids),
                ]
                if spoken
                else [ResponseTextDone(event_id=event_id(), text=entry.text, **ids)]
            )
            return [*done, ResponseContentPartDone(event_id=event_id(), part=final_part(), **ids)]

        words = _words(text)
        if spoken:
            encoded = audio.encode(self._synthesize(text, self._voice()), self.settings.audio_format)
            chunk = audio.bytes_per_ms(self.settings.audio_format) * self.settings.chunk_ms
            chunks = [encoded[i : i + chunk] for i in range(0, len(encoded), chunk)]
            per_chunk = -(-len(words) // max(1, len(chunks)))
            for number, piece in enumerate(chunks):
                for word in words[number * per_chunk : (number + 1) * per_chunk]:
                    entry.text += word
                    entry.closing = closing()
                    yield ResponseAudioTranscriptDelta(event_id=event_id(), delta=word, **ids)
                entry.audio_ms += audio.duration_ms(len(piece), self.settings.audio_format)
                self._audio_tokens += max(1, audio.duration_ms(len(piece), self.settings.audio_format) // 50)
                entry.closing = closing()
                yield ResponseAudioDelta(
                    event_id=event_id(), delta=base64.b64encode(piece).decode("ascii"), **ids
                )
        else:
            for word in words:
                entry.text += word
                entry.closing = closing()
                yield ResponseTextDelta(event_id=event_id(), delta=word, **ids)
        self._text_tokens += _tokens(text)
        entry.closing = []
        yield from closing()
        yield from self._finish_item(entry, "completed")

    def _voice(self) -> str | None:
        voice = self.settings.voice
        return voice if isinstance(voice, str) else None

    def _stream_call(self, index: int, call: Call) -> Iterator[ServerEvent]:
        arguments = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)
        item_id, call_id = new_id("item"), new_id("call")
        item = FunctionCallItem(
            id=item_id, call_id=call_id, name=call.name, arguments="", status="in_progress"
        )
        entry = _OpenItem(index, item)
        self._open.append(entry)
        yield from self._added(entry)
        ids = {"response_id": self.id, "item_id": item_id, "output_index": index, "call_id": call_id}
        name = call.name if self._ga else None

        def closing() -> list[ServerEvent]:
            entry.item = entry.item.model_copy(update={"arguments": entry.text})
            return [
                ResponseFunctionCallArgumentsDone(event_id=event_id(), arguments=entry.text, name=name, **ids)
            ]

        for piece in _pieces(arguments, _ARGUMENT_PIECES):
            entry.text += piece
            entry.closing = closing()
            yield ResponseFunctionCallArgumentsDelta(event_id=event_id(), delta=piece, **ids)
        self._text_tokens += _tokens(arguments)
        entry.closing = []
        yield from closing()
        yield from self._finish_item(entry, "completed")
