"""What the server owns on a WebRTC call, enforced from the sideband (sans-I/O: events in, fixes out).

Over WebRTC the browser holds a data channel to the model and can send any client event; nothing
stands between it and the service. The sideband sees what the service reports and undoes what the
device may not do:

- `session.updated` with an owned field (instructions, tools, tool_choice, a stored prompt, and every
  field the agent set that the policy does not hand to the caller) different from the agent's, or any
  other field the policy does not hand to the caller (tracing, output modalities, token limits, ...)
  different from what the call had when the session attached: `session.update` restoring them at once;
- a `function_call_output` the session did not post (its outputs carry ids only it can make), a
  system or developer message, or an assistant message / function call no response produced:
  `conversation.item.delete`;
- a `conversation.item.delete` the guard did not send (the browser removed an item, perhaps a tool's
  output): it cannot be undone, but it is reported and counted;
- a response neither the session asked for (its tag, each used once) nor server VAD started (a turn
  VAD ended, `speech_stopped` or its idle `timeout_triggered` then `committed`, with no response
  yet, while the call's turn detection creates responses; a commit the caller made itself does not
  count): `response.cancel` + `output_audio_buffer.clear`, since the service does not say whether
  the caller's `response.create` carried overrides; what it added to the conversation before the
  cancel landed is deleted once it is done.

What it cannot do is in `docs/webrtc.md`: it acts after the fact (one round trip), and it cannot
hide what the service sends the data channel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentkit.engine import CREATE_TAG
from agentkit.protocol import (
    ClientEvent,
    ConversationItemAdded,
    ConversationItemCreated,
    ConversationItemDelete,
    ConversationItemDeleted,
    FunctionCallItem,
    FunctionCallOutputItem,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStopped,
    InputAudioBufferTimeoutTriggered,
    MessageItem,
    OutputAudioBufferClear,
    ResponseCancel,
    ResponseCreated,
    ResponseDone,
    ResponseOutputItemAdded,
    ServerEvent,
    SessionConfig,
    SessionUpdate,
    SessionUpdated,
)
from agentkit.relay.policy_rules import DEFAULT_SESSION_FIELDS, SERVER_OWNED_FIELDS

_NEVER_OWNED = frozenset({"type", "id", "object", "model", "expires_at"})
_SERVICE_DEFAULTS: dict[str, Any] = {"instructions": "", "tools": [], "tool_choice": "auto", "prompt": None}
"""What an owned field the agent left unset is restored to (the services' own defaults)."""
_RECENT_ITEMS = 1024
_ALWAYS_OWNED = SERVER_OWNED_FIELDS | {"prompt"}
"""A stored prompt carries instructions by another name: the server's even when the agent sets none."""


@dataclass(frozen=True)
class SidebandPolicy:
    """What the caller's device may change on its own over the data channel."""

    client_session_fields: frozenset[str] = DEFAULT_SESSION_FIELDS
    """Session fields the caller may set (the relay's defaults: voice, turn detection, formats, ...)."""
    allow_client_responses: bool = False
    """Let the caller start responses itself (it cannot be told whether they carry overrides)."""
    max_violations: int | None = 5
    """Hang up the call once this many were undone (None: never)."""

    def __post_init__(self) -> None:
        if self.max_violations is not None and self.max_violations < 1:
            raise ValueError("max_violations must be at least 1 (or None)")
        if self.client_session_fields & _ALWAYS_OWNED:
            raise ValueError(f"{sorted(_ALWAYS_OWNED)} are the server's; no policy hands them out")


@dataclass(frozen=True)
class Fix:
    """One violation and the client events that undo it."""

    rule: str
    detail: str
    undo: tuple[ClientEvent, ...]
    counts: bool = True
    """False for the clean-up of a violation already counted (a cancelled response's partial output)."""


@dataclass
class SidebandRules:
    """The guard's state for one call: feed it every server event, send what it returns."""

    policy: SidebandPolicy
    config: Callable[[], SessionConfig]
    """The agent's configuration as the session last sent it."""
    owns_output: Callable[[str | None, str], bool]
    baseline: SessionConfig | None = None
    """The call's session when the sideband attached: what a field neither the agent nor the caller
    may set is restored to (a field it lacks is taken as first reported)."""
    _model_items: set[str] = field(default_factory=set)
    _used_tags: set[str] = field(default_factory=set)
    _turn_waiting: bool = False
    _speech_stopped: bool = False
    _vad_creates: bool = True
    """Whether the call's turn detection (as last reported) starts a response at the end of a turn."""
    _rogue: set[str] = field(default_factory=set)
    """Responses the caller started and the guard cancelled: what they produced is removed too."""
    _restoring: set[str] = field(default_factory=set)
    """Fields a restore was sent for and not yet seen back: until then a differing value is the state
    before the restore (the service applies events in order), not a new violation."""
    _deleting: set[str] = field(default_factory=set)
    """Items the guard asked the service to delete (any other deletion is the caller's)."""

    def see(self, event: ServerEvent) -> list[Fix]:
        if isinstance(event, SessionUpdated):
            return self._session(event.session)
        if isinstance(event, ResponseOutputItemAdded) and event.item.id:
            self._model_items.add(event.item.id)
        elif isinstance(event, (ConversationItemAdded, ConversationItemCreated)):
            self._note_added(getattr(event.item, "id", None))
            return self._item(event.item)
        elif isinstance(event, ConversationItemDeleted):
            return self._deleted(event.item_id)
        elif isinstance(event, (InputAudioBufferSpeechStopped, InputAudioBufferTimeoutTriggered)):
            self._speech_stopped = True  # VAD ended a turn (or its idle timeout did: it answers too)
        elif isinstance(event, InputAudioBufferCommitted):
            self._turn_waiting = self._speech_stopped and self._vad_creates  # VAD's turn, not the caller's
            self._speech_stopped = False
        elif isinstance(event, ResponseCreated):
            return self._response(event)
        elif isinstance(event, ResponseDone) and event.response.id in self._rogue:
            self._rogue.discard(event.response.id)
            joined = [item.id for item in event.response.output if item.id and item.id in self._added]
            made = tuple(self._delete(item_id) for item_id in joined)  # none for `conversation: none`
            if made:
                return [
                    Fix("client_response_output", f"{len(made)} item(s) of {event.response.id}", made, False)
                ]
        return []

    _added: dict[str, None] = field(default_factory=dict)
    """The latest items the service added to the conversation (a cancelled response's output is
    deleted only if it joined; an out-of-band response's never does)."""
    _kept: dict[str, Any] = field(default_factory=dict)
    """Fields neither the agent nor the caller sets, with the value the call had (from `baseline`)."""

    def __post_init__(self) -> None:
        if self.baseline is not None:
            self._keep(self.baseline)
            self._note_turns(self.baseline)

    def _note_turns(self, reported: SessionConfig) -> None:
        if "turn_detection" in reported.model_fields_set:
            turns = reported.turn_detection
            self._vad_creates = turns is not None and turns.create_response is not False

    def _note_added(self, item_id: str | None) -> None:
        if item_id:
            self._added[item_id] = None
            if len(self._added) > _RECENT_ITEMS:
                del self._added[next(iter(self._added))]

    def _owned(self, config: SessionConfig) -> set[str]:
        return (set(config.model_fields_set) - self.policy.client_session_fields - _NEVER_OWNED) | set(
            _ALWAYS_OWNED
        )

    def _keep(self, reported: SessionConfig) -> None:
        """Remember what a kept field is the first time the call reports it."""
        for name in reported.model_fields_set - self.policy.client_session_fields - _NEVER_OWNED:
            self._kept.setdefault(name, getattr(reported, name))

    def _session(self, reported: SessionConfig) -> list[Fix]:
        config = self.config()
        ours = {
            name: getattr(config, name) if name in config.model_fields_set else _SERVICE_DEFAULTS[name]
            for name in self._owned(config)
            if name in config.model_fields_set or name in _SERVICE_DEFAULTS
        }
        self._keep(reported)
        self._note_turns(reported)
        for name, value in self._kept.items():
            ours.setdefault(name, value)
        reported_fields = {name for name in ours if name in reported.model_fields_set}
        differing = {
            name for name in reported_fields if not _same(name, ours[name], getattr(reported, name, None))
        }
        self._restoring -= reported_fields - differing  # restored: seen back as ours
        changed = sorted(differing - self._restoring)
        if not changed:
            return []
        self._restoring |= set(changed)
        restore = SessionConfig(**{name: ours[name] for name in changed})
        return [
            Fix(
                "session_field", "the caller changed " + ", ".join(changed), (SessionUpdate(session=restore),)
            )
        ]

    def _item(self, item: Any) -> list[Fix]:
        item_id = getattr(item, "id", None)
        if not item_id:
            return []
        rule: str | None = None
        if isinstance(item, FunctionCallOutputItem) and not self.owns_output(item_id, item.call_id):
            rule = "client_function_output"
        elif isinstance(item, MessageItem) and item.role in ("system", "developer"):
            rule = "client_system_message"
        elif (
            isinstance(item, FunctionCallItem) or (isinstance(item, MessageItem) and item.role == "assistant")
        ) and item_id not in self._model_items:
            rule = "client_assistant_item"
        if rule is None:
            return []
        return [
            Fix(
                rule,
                f"item {item_id} ({getattr(item, 'type', 'item')})",
                (self._delete(item_id),),
            )
        ]

    def _delete(self, item_id: str) -> ConversationItemDelete:
        self._deleting.add(item_id)
        return ConversationItemDelete(item_id=item_id)

    def _deleted(self, item_id: str) -> list[Fix]:
        if item_id in self._deleting:
            self._deleting.discard(item_id)
            return []
        self._model_items.discard(item_id)
        return [Fix("client_item_delete", f"item {item_id} (cannot be restored)", ())]

    def _response(self, event: ResponseCreated) -> list[Fix]:
        response = event.response
        tag = (response.metadata or {}).get(CREATE_TAG)
        if tag is not None and tag not in self._used_tags:
            self._used_tags.add(str(tag))
            return []  # the session asked for it
        if tag is None and self._turn_waiting:
            self._turn_waiting = False
            return []  # server VAD answering the caller's turn
        if self.policy.allow_client_responses or not response.id:
            return []
        reason = "a reused tag" if tag is not None else "no turn to answer"
        self._rogue.add(response.id)
        undo = (ResponseCancel(response_id=response.id), OutputAudioBufferClear())
        return [Fix("client_response", f"response {response.id} ({reason})", undo)]


def _same(name: str, ours: Any, theirs: Any) -> bool:
    if name == "tools":
        return _tool_names(ours) == _tool_names(theirs) and _schemas(ours) == _schemas(theirs)
    return _canonical(ours) == _canonical(theirs)


def _canonical(value: Any) -> str:
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_none=True)
    return json.dumps(value, sort_keys=True, default=str)


def _tool_names(tools: Any) -> list[str]:
    return sorted(str(t.get("name")) for t in tools or [] if isinstance(t, dict))


def _schemas(tools: Any) -> dict[str, str]:
    return {
        str(t.get("name")): _canonical(t.get("parameters")) + _canonical(t.get("description"))
        for t in tools or []
        if isinstance(t, dict)
    }
