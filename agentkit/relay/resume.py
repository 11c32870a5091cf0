"""Conversations that survive their relay instance: snapshots under resume tokens, in `SharedState`.

Each connection gets a resume token (an `agentkit.resume` event, the first thing it is sent). After
every turn, and whenever a tool call starts or finishes, the connection's conversation (the replay
record, tool outputs included) is saved under that token for `RelayLimits.resume_seconds`. A client
that connects again with `?resume=TOKEN`, to any instance sharing the state, continues the same
conversation in a new upstream session, under a new token: a token is claimed once, so a
conversation goes on in one place only, and a leaked token that was used is worth nothing.

A call that was still running when its instance died has no output in the snapshot. It is answered
once, when the conversation resumes, as interrupted (`INTERRUPTED_REASON`, which the model can tell
the user), and never run again; the model is then asked to respond, as it would have been. A call of
a queued tool (`@tool(queue=...)`) ran as a job that outlived the instance: the resumed conversation
waits for that job's outcome (`ToolQueue.recover`) and is given it as the call's one output.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

import anyio

from agentkit.engine import AppEvent, ToolCallFinished, ToolCallStarted, TurnDone
from agentkit.engine.calls import cancelled_output
from agentkit.protocol import ResponseCreate, ServerEvent
from agentkit.session import EventsDropped, EventStream, Session, SessionClosed
from agentkit.state import SnapshotStore, StateUnavailable
from agentkit.tools import Tool

logger = logging.getLogger("agentkit.relay")

RESUME_QUERY = "resume"
"""The upgrade request's query parameter that carries a resume token."""
INTERRUPTED_REASON = (
    "the server running it stopped before it finished; it did not complete and was not retried"
)
_SAVE_ON = (TurnDone, ToolCallStarted, ToolCallFinished, EventsDropped)
_FORMAT = 1


class ResumeToken(ServerEvent):
    """The relay's own event: the token that continues this conversation after a disconnect.

    `resumed` says whether this connection continued an earlier conversation (a `?resume=` token
    that was unknown, expired or already used starts a new one). Keep the token in memory only: it
    is a credential for the conversation until it is used or `ttl_seconds` after the last turn.
    """

    kind: ClassVar[str] = "agentkit.resume"
    token: str
    ttl_seconds: float
    resumed: bool = False


class Conversations:
    """The snapshots of one relay's conversations (one agent), by resume token."""

    def __init__(
        self,
        store: SnapshotStore,
        agent_name: str,
        ttl_seconds: float,
        queued: Mapping[str, Tool] | None = None,
    ) -> None:
        """`queued`: the agent's queued tools by name, whose calls outlive an instance."""
        self.store = store
        self.agent_name = agent_name
        self.ttl_seconds = ttl_seconds
        self.queued: Mapping[str, Tool] = queued or {}

    async def resumable(self, token: str | None) -> bool:
        """Whether `token` names a conversation that can be resumed now (it proves the client)."""
        if not token or len(token) > 256:
            return False
        try:
            return await self.store.exists(token)
        except StateUnavailable as exc:
            logger.warning("relay: cannot check a resume token: %s", exc)
            return False

    async def open(self, token: str | None) -> Keeper:
        """The keeper of a new connection: it continues `token`'s conversation if that can be claimed."""
        entries: list[dict[str, Any]] | None = None
        if token and len(token) <= 256:
            try:
                entries = self._decode(await self.store.claim(token))
            except StateUnavailable as exc:
                logger.warning("relay: cannot resume a conversation; starting a new one: %s", exc)
        return Keeper(self, secrets.token_urlsafe(32), entries)

    async def save(self, token: str, entries: list[dict[str, Any]]) -> bool:
        data = {"v": _FORMAT, "agent": self.agent_name, "conversation": entries}
        return await self.store.save(token, json.dumps(data).encode("utf-8"), self.ttl_seconds)

    def _decode(self, data: bytes | None) -> list[dict[str, Any]] | None:
        if data is None:
            return None
        try:
            snapshot = json.loads(data)
            entries = snapshot["conversation"]
            if snapshot.get("v") != _FORMAT or snapshot.get("agent") != self.agent_name:
                raise ValueError("a snapshot of another agent or format")
            if not isinstance(entries, list):
                raise ValueError("no conversation in the snapshot")
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning(
                "relay: a resume snapshot could not be read (%s); starting a new conversation", exc
            )
            return None
        return entries


class Keeper:
    """Keeps one connection's conversation resumable: restores it, and saves it as it goes on."""

    def __init__(self, conversations: Conversations, token: str, entries: list[dict[str, Any]] | None):
        self._conversations = conversations
        self.token = token
        self.resumed = entries is not None
        self._queued = {
            entry["call_id"]: tool
            for entry in entries or []
            if isinstance(entry, dict)
            and isinstance(entry.get("call_id"), str)
            and entry.get("output") is None
            and (tool := conversations.queued.get(str(entry.get("name")))) is not None
        }
        self.entries, self.interrupted = answer_unfinished(entries or [], keep=self._queued)
        self.displaced = False
        """The conversation was resumed on another connection: this one must end."""

    def notice(self) -> ResumeToken:
        return ResumeToken(
            token=self.token, ttl_seconds=self._conversations.ttl_seconds, resumed=self.resumed
        )

    @property
    def waiting(self) -> bool:
        """Calls of queued tools are still to be answered (`collect`) before the session opens."""
        return bool(self._queued)

    async def collect(self) -> None:
        """Answer each queued call from its job (waiting for a job still running), once.

        The conversation is saved under this connection's token first, so that it stays resumable
        if this instance dies while it waits."""
        if not self._queued:
            return
        try:
            await self._conversations.save(self.token, self.entries)
        except StateUnavailable as exc:
            logger.warning("relay: the conversation could not be saved for resuming: %s", exc)
        outputs: dict[str, str] = {}

        async def recover(call_id: str, tool: Tool, arguments: str) -> None:
            assert tool.queue is not None
            outputs[call_id] = (await tool.queue.recover(tool, call_id, arguments)).output

        async with anyio.create_task_group() as tg:
            for entry in self.entries:
                tool = self._queued.get(entry.get("call_id", ""))
                if tool is not None:
                    tg.start_soon(recover, entry["call_id"], tool, str(entry.get("arguments", "")))
        self.entries = [
            {**entry, "output": outputs[entry["call_id"]]} if entry.get("call_id") in outputs else entry
            for entry in self.entries
        ]
        self._queued = {}

    def restore(self, session: Session) -> None:
        """Give a new (unopened) session the conversation this connection continues."""
        if not self.entries:
            return
        try:
            session.restore_conversation(self.entries)
        except ValueError as exc:
            logger.warning("relay: a resume snapshot was malformed (%s); starting a new conversation", exc)
            self.entries, self.interrupted, self.resumed = [], 0, False

    async def opened(self, session: Session) -> None:
        """The session is open: save at once, and let the model speak to a turn its instance cut off."""
        await self.save(session)
        if self.entries and (self.interrupted or "call_id" in self.entries[-1]):
            try:
                await session.send_client_event(ResponseCreate())
            except SessionClosed:
                pass

    async def keep(self, session: Session, events: EventStream[AppEvent]) -> None:
        """Save after every turn and tool call until the session ends or the conversation moves on."""
        async for event in events:
            if isinstance(event, _SAVE_ON) and not await self.save(session):
                return

    async def save(self, session: Session) -> bool:
        """Save the conversation now; False once it continues on another connection."""
        if self.displaced:
            return False
        try:
            saved = await self._conversations.save(self.token, session.conversation())
        except StateUnavailable as exc:
            logger.warning("relay: the conversation could not be saved for resuming: %s", exc)
            return True
        if not saved:
            self.displaced = True
        return saved

    async def save_final(self, session: Session) -> None:
        """The connection is over: save what the conversation came to (bounded in time)."""
        with anyio.CancelScope(shield=True), anyio.move_on_after(5):
            await self.save(session)


def answer_unfinished(
    entries: list[dict[str, Any]], keep: Mapping[str, object] = {}
) -> tuple[list[dict[str, Any]], int]:
    """The entries with every call that has no output answered as interrupted, and how many were;
    the calls in `keep` (queued ones, answered from their jobs) are left as they are."""
    answered: list[dict[str, Any]] = []
    interrupted = 0
    for entry in entries:
        if (
            isinstance(entry, dict)
            and "call_id" in entry
            and entry.get("output") is None
            and entry["call_id"] not in keep
        ):
            entry = {**entry, "output": cancelled_output(INTERRUPTED_REASON)}
            interrupted += 1
        answered.append(entry)
    return answered, interrupted
