"""`Agent`: what a model is told and given (instructions, tools, voice, audio and turn settings).

An agent is a reusable description; `agent.connect()` opens a `Session` with it. Tools are checked
when the agent is built, and every session gets its own copy of the toolset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from agentkit.connection import Endpoint, EndpointError, TransportOptions
from agentkit.engine import DEFAULT_CREATE_TIMEOUT, DEFAULT_REPLAY_LIMIT
from agentkit.guardrails import OutputGuardrail, ToolInputGuardrail, ToolOutputGuardrail
from agentkit.handoffs import check_handoffs
from agentkit.history import parse_history
from agentkit.observer import SessionObserver, combine
from agentkit.protocol import InputTranscription, SessionConfig, TurnDetection
from agentkit.session import ReconnectPolicy, Session
from agentkit.session.approvals import Approver
from agentkit.tools import Toolset
from agentkit.tools.toolset import ToolLike

if TYPE_CHECKING:
    from agentkit.connection.gpt_live import GptLiveEndpoint
    from agentkit.session.live_session import LiveSession

ObserverFactory = Callable[[], SessionObserver]
"""Makes a fresh observer for each session (for observers that keep per-session state)."""

TurnDetectionSetting = TurnDetection | Literal["server_vad", "semantic_vad", "manual"] | None
"""A `TurnDetection`, a VAD type by name, `"manual"` (the application commits audio), or None
(leave the service's default)."""

_NO_ENDPOINT = (
    "no Realtime endpoint: pass one to agent.connect(endpoint=...), or set AZURE_OPENAI_ENDPOINT and "
    "AZURE_OPENAI_DEPLOYMENT_NAME (with AZURE_OPENAI_API_KEY, or sign in for Entra ID), or set "
    "OPENAI_API_KEY. For an offline run, start agentkit's local server and use server.endpoint()."
)


DEFAULT_APPROVAL_TIMEOUT = 120.0
"""Seconds a call waits for approval by default: long enough for a person, short enough for a call."""


class _AgentDeps:
    def __repr__(self) -> str:
        return "<the agent's deps>"


AGENT_DEPS: Any = _AgentDeps()
"""`connect(deps=...)` default: use the agent's own `deps`."""


class Agent:
    """Instructions, tools and audio settings for a Realtime model.

    `tools` takes `@tool` functions, plain callables (wrapped with `@tool`) and `Toolset`s. `deps`
    is handed to every tool through `ToolContext.deps`. `tool_timeout` applies to tools without
    their own; `max_concurrent_tools` caps tools running at once per session. `reconnect=None`
    turns reconnecting off. `replay_limit` caps the conversation entries (messages, and calls with
    their outputs) a session keeps and replays after a reconnect: older ones are forgotten, so a long
    session stays bounded in memory. `create_timeout`: seconds a `response.create` may go
    unanswered before the session reports it and asks once more. `approver`: an async callback that
    decides calls whose tool `needs_approval`; `approval_timeout`: seconds such a call waits for a
    decision before it is answered as not approved. `handoffs`: agents this one may hand the
    conversation to (see `agentkit.handoffs`). `output_guardrails`, `tool_input_guardrails`,
    `tool_output_guardrails`: checks that can stop a response, block a call or change its output
    (see `agentkit.guardrails`). `filler_after`: seconds a tool may run before the
    agent says a short out-of-band line so the caller is not left in silence (None: never). Settings
    left None are not sent,
    so the service's defaults apply.
    """

    def __init__(
        self,
        name: str = "agent",
        instructions: str | None = None,
        *,
        tools: Iterable[ToolLike] = (),
        voice: str | None = None,
        output_modalities: Sequence[str] | None = None,
        input_audio_format: str | None = None,
        output_audio_format: str | None = None,
        turn_detection: TurnDetectionSetting = None,
        input_transcription: InputTranscription | str | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        deps: Any = None,
        tool_timeout: float | None = 30.0,
        max_concurrent_tools: int = 8,
        observers: Iterable[SessionObserver | ObserverFactory] = (),
        reconnect: ReconnectPolicy | None = ReconnectPolicy(),
        replay_limit: int = DEFAULT_REPLAY_LIMIT,
        create_timeout: float | None = DEFAULT_CREATE_TIMEOUT,
        session_options: SessionConfig | None = None,
        approver: Approver | None = None,
        approval_timeout: float | None = DEFAULT_APPROVAL_TIMEOUT,
        filler_after: float | None = None,
        handoffs: Iterable[Agent] = (),
        handoff_description: str | None = None,
        output_guardrails: Iterable[OutputGuardrail] = (),
        tool_input_guardrails: Iterable[ToolInputGuardrail] = (),
        tool_output_guardrails: Iterable[ToolOutputGuardrail] = (),
    ) -> None:
        if max_concurrent_tools < 1:
            raise ValueError(f"max_concurrent_tools must be at least 1, got {max_concurrent_tools}")
        if tool_timeout is not None and not tool_timeout > 0:
            raise ValueError(f"tool_timeout must be positive (or None for no limit), got {tool_timeout!r}")
        if create_timeout is not None and not create_timeout > 0:
            raise ValueError(
                f"create_timeout must be positive (or None for no limit), got {create_timeout!r}"
            )
        if approval_timeout is not None and not approval_timeout > 0:
            raise ValueError(
                f"approval_timeout must be positive (or None for no limit), got {approval_timeout!r}"
            )
        if filler_after is not None and not filler_after >= 0:
            raise ValueError(f"filler_after must be zero or more seconds (or None), got {filler_after!r}")
        if replay_limit < 1:
            raise ValueError(f"replay_limit must be at least 1, got {replay_limit}")
        self.name = name
        self.instructions = instructions
        self.toolset = Toolset(tools, name=f"{name} tools")
        self.voice = voice
        self.output_modalities = list(output_modalities) if output_modalities is not None else None
        self.input_audio_format = input_audio_format
        self.output_audio_format = output_audio_format
        self.turn_detection = turn_detection
        self.input_transcription = input_transcription
        self.tool_choice = tool_choice
        self.deps = deps
        self.tool_timeout = tool_timeout
        self.max_concurrent_tools = max_concurrent_tools
        self.observers = tuple(observers)
        """Watch every session of this agent. An observer that keeps per-session state (such as
        `TracingObserver`) is given as a factory, e.g. the class itself: each session calls it."""
        self.reconnect = reconnect
        self.replay_limit = replay_limit
        self.create_timeout = create_timeout
        self.session_options = session_options
        self.approver = approver
        """Decides calls whose tool `needs_approval` (else the application calls `session.approve`)."""
        self.approval_timeout = approval_timeout
        self.filler_after = filler_after
        self.handoffs: list[Agent] = list(handoffs)
        """Agents this one may hand the conversation to (one transfer tool each). A list, so agents
        that hand back and forth can be linked after both exist: `triage.handoffs.append(refunds)`."""
        self.handoff_description = handoff_description
        self.output_guardrails = tuple(output_guardrails)
        """Checks over what the agent says as it streams (see `agentkit.guardrails`)."""
        self.tool_input_guardrails = tuple(tool_input_guardrails)
        self.tool_output_guardrails = tuple(tool_output_guardrails)
        """What this agent does, in a few words, for the transfer tools that lead to it."""
        """Seconds a tool may run before the agent says a short filler (None: never)."""
        """Any other session settings (temperature, noise reduction, ...); the fields above win."""
        check_handoffs(self)

    def __repr__(self) -> str:
        return f"Agent(name={self.name!r}, tools={self.toolset.names()!r})"

    def session_config(self, tools: Toolset | None = None) -> SessionConfig:
        """The `session.update` a session sends first (and again after reconnecting)."""
        fields: dict[str, Any] = (
            self.session_options.model_dump(exclude_unset=True) if self.session_options is not None else {}
        )
        tools = self.toolset if tools is None else tools
        settings: dict[str, Any] = {
            "instructions": self.instructions,
            "voice": self.voice,
            "output_modalities": self.output_modalities,
            "input_audio_format": self.input_audio_format,
            "output_audio_format": self.output_audio_format,
            "tool_choice": self.tool_choice,
            "tools": tools.definitions() or None,
        }
        fields.update({key: value for key, value in settings.items() if value is not None})
        if self.turn_detection is not None:
            fields["turn_detection"] = _turn_detection(self.turn_detection)
        if self.input_transcription is not None:
            transcription = self.input_transcription
            if isinstance(transcription, str):
                transcription = InputTranscription(model=transcription)
            fields["input_audio_transcription"] = transcription
        return SessionConfig(**fields)

    @overload
    def connect(
        self,
        endpoint: GptLiveEndpoint,
        *,
        deps: Any = AGENT_DEPS,
        observer: SessionObserver | None = None,
        transport: TransportOptions | None = None,
        history: object = None,
        call_id: str | None = None,
    ) -> LiveSession: ...

    @overload
    def connect(
        self,
        endpoint: Endpoint | None = None,
        *,
        deps: Any = AGENT_DEPS,
        observer: SessionObserver | None = None,
        transport: TransportOptions | None = None,
        history: object = None,
        call_id: str | None = None,
    ) -> Session: ...

    def connect(
        self,
        endpoint: Endpoint | GptLiveEndpoint | None = None,
        *,
        deps: Any = AGENT_DEPS,
        observer: SessionObserver | None = None,
        transport: TransportOptions | None = None,
        history: object = None,
        call_id: str | None = None,
    ) -> Session | LiveSession:
        """A session with this agent: `async with agent.connect() as session:`.

        Without `endpoint`, it comes from the environment (`Endpoint.from_env()`); an `EndpointError`
        says what to set when nothing is. `deps` replaces the agent's deps for this session;
        `observer` watches it along with the agent's observers. `history`: a conversation saved with
        `session.history()` (the document, or its JSON text) to continue, with the agent that was
        speaking when it was saved if this one can hand off to it; `HistoryError` if it does not parse.
        `call_id` attaches the session to an existing WebRTC or SIP call instead (its sideband): the
        device holds the audio, the session holds the instructions and tools and runs the tools here.
        """
        check_handoffs(self)  # targets may have been added since: the whole graph is checked again
        from agentkit.connection.gpt_live import GptLiveEndpoint

        if isinstance(endpoint, GptLiveEndpoint):
            return self._connect_live(endpoint, deps, transport, history, call_id)
        saved = parse_history(history) if history is not None else None
        if endpoint is None:
            endpoint = Endpoint.from_env()
            if endpoint is None:
                raise EndpointError(_NO_ENDPOINT)
        session = Session(
            self,
            endpoint,
            deps=self.deps if deps is AGENT_DEPS else deps,
            observer=combine([*(_observer_for_session(o) for o in self.observers), observer]),
            transport=transport,
            call_id=call_id,
        )
        if saved is not None:
            session.restore_history(saved)
        return session

    def _connect_live(
        self,
        endpoint: GptLiveEndpoint,
        deps: Any,
        transport: TransportOptions | None,
        history: object,
        call_id: str | None,
    ) -> LiveSession:
        """GPT-Live: a `LiveSession`; `history` is an earlier `LiveSession.history()`."""
        from agentkit.session.live_session import LiveMessage, LiveSession

        if call_id is not None:
            raise EndpointError("attaching to a call (call_id) is for the Realtime API, not GPT-Live")
        messages = list(history) if isinstance(history, (list, tuple)) else []
        if history is not None and not all(isinstance(message, LiveMessage) for message in messages):
            raise EndpointError("GPT-Live history is a list of LiveMessage, as LiveSession.history() gives")
        return LiveSession(
            self,
            endpoint,
            deps=self.deps if deps is AGENT_DEPS else deps,
            transport=transport,
            history=cast("list[LiveMessage]", messages),
        )


def _observer_for_session(observer: SessionObserver | ObserverFactory) -> SessionObserver:
    # An instance has `on_event` bound; a class or a plain function is a factory to call.
    if isinstance(observer, type) or not hasattr(observer, "on_event"):
        return cast(ObserverFactory, observer)()
    return cast(SessionObserver, observer)


def _turn_detection(setting: TurnDetection | str) -> TurnDetection | None:
    if isinstance(setting, TurnDetection):
        return setting
    if setting == "manual":
        return None
    if setting in ("server_vad", "semantic_vad"):
        return TurnDetection(type=setting)
    raise ValueError(
        f"turn_detection must be a TurnDetection, 'server_vad', 'semantic_vad' or 'manual'; got {setting!r}"
    )
