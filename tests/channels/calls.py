"""Shared pieces for call tests: speech the local server hears, queries on a call's state, and a
calls endpoint that refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio.abc import SocketAttribute, SocketStream

from agentkit.protocol import ConversationItemCreate, FunctionCallOutputItem, MessageItem, ResponseCreate
from agentkit.session import ReconnectPolicy
from agentkit.testing.audio import spoken
from agentkit.testing.calls import LocalCall
from agentkit.testing.speech import silence

FAST_RECONNECT = ReconnectPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0)


def utterance(text: str) -> bytes:
    """What a caller's microphone sends: a little quiet, the words, then enough quiet to end the turn."""
    return silence(300) + spoken(text) + silence(1200)


def outputs_in_conversation(call: LocalCall) -> list[FunctionCallOutputItem]:
    """The function_call_output items the call's model will see."""
    return [
        item for item in call.connection.conversation.for_model() if isinstance(item, FunctionCallOutputItem)
    ]


def assistant_texts(call: LocalCall) -> list[str]:
    return [
        item.text
        for item in call.connection.conversation.for_model()
        if isinstance(item, MessageItem) and item.role == "assistant"
    ]


def creates(call: LocalCall) -> list[ResponseCreate]:
    return [event for event in call.connection.received if isinstance(event, ResponseCreate)]


def posted_outputs(call: LocalCall) -> list[str]:
    """The call ids of every function_call_output anyone posted to the call."""
    return [
        event.item.call_id
        for event in call.connection.received
        if isinstance(event, ConversationItemCreate) and isinstance(event.item, FunctionCallOutputItem)
    ]


@asynccontextmanager
async def refusing_service(status: int, body: bytes) -> AsyncIterator[str]:
    """A loopback HTTP service whose every POST is answered with `status` and `body` (a calls endpoint
    that refuses or breaks); yields its base URL (`http://127.0.0.1:PORT`)."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")

    async def answer(stream: SocketStream) -> None:
        async with stream:
            request = b""
            while b"\r\n\r\n" not in request:
                request += await stream.receive()
            head, _, rest = request.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            while len(rest) < length:
                rest += await stream.receive()
            reason = b"Refused" if status < 500 else b"Broken"
            head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n" % (status, reason)
            await stream.send(head + b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))

    port = listener.extra(SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, answer)
        await anyio.wait_all_tasks_blocked()  # listening before the caller counts what runs
        yield f"http://127.0.0.1:{port}"
        tg.cancel_scope.cancel()
