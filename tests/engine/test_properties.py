"""Property tests: a simulated server and tool runner drive the engine through random event orders.

The server keeps its own truth (which response is active, which `response.create` it took), reacts
to what the engine sends, and may race it: server VAD starts responses and interrupts them, calls of
one response stream interleaved, events get duplicated, tools finish in any order and twice, errors
arrive, the connection drops and comes back; calls may wait for approval, which comes, is refused,
times out or is given twice; long calls get out-of-band fillers and spoken progress, and late results
are spoken, kept silent or dropped. After every step the engine's actions are checked.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit.engine import (
    CREATE_TAG,
    CREATE_TIMEOUT_CODE,
    Action,
    ApprovalDecided,
    ApprovalError,
    ApprovalNeed,
    ApprovalRequested,
    CallPolicy,
    CancelCall,
    Emit,
    ErrorReported,
    ResponseFinished,
    Send,
    StartCall,
    ToolCallFinished,
)
from agentkit.protocol import (
    ClientEvent,
    ConversationItemCreate,
    FunctionCallOutputItem,
    ResponseCancel,
    ResponseCreate,
    ResponseCreated,
    ResponseDone,
    ResponseParams,
    ServerEvent,
    SessionConfig,
    SessionUpdate,
)
from tests.engine.script import (
    Harness,
    created,
    done,
    error,
    fc_added,
    fc_args_done,
    fc_delta,
    fc_item,
    fc_item_done,
    output_acked,
    speech_started,
    text,
)

SAVED_HISTORY = [
    {"role": "user", "text": "where is A-1?"},
    {"call_id": "old_call", "name": "lookup", "arguments": "{}", "output": "delivered"},
    {"role": "assistant", "text": "It was delivered."},
]
STATUSES = ["ok", "invalid_arguments", "tool_error", "error", "timeout", "cancelled", "unknown_tool"]


@dataclass
class World:
    h: Harness
    data: st.DataObject
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    inbox: deque[ClientEvent] = field(default_factory=deque)
    outbox: deque[ServerEvent] = field(default_factory=deque)
    generating: deque[ServerEvent] = field(default_factory=deque)
    server_active: str | None = None
    connected: bool = True
    delivered: list[ServerEvent] = field(default_factory=list)
    echo: bool = False
    """The server echoes `response.metadata` (so the engine can tell a VAD response from its own)."""
    echo_seen: bool = False
    # the client's view, as the test sees it
    client_active: set[str] = field(default_factory=set)
    creates_in_flight: set[str] = field(default_factory=set)
    outputs_this_epoch: dict[str, int] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    settled_ids: list[str] = field(default_factory=list)
    creates: int = 0
    app_requests: int = 0
    batches: int = 0
    race_errors: int = 0
    lost_creates: int = 0
    cut_responses: int = 0
    fillers: int = 0
    """Out-of-band creates (`conversation: "none"`): they answer no call and are no follow-up."""
    progress_notes: int = 0
    agent: str = "triage"
    """The agent speaking now: a handoff switches it with a `session.update` at any moment."""
    approval_mode: str = "none"
    """Which calls wait for approval: `none`, `odd` (every second call) or `all`."""
    approval_timeout: float | None = None
    awaiting: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)
    timeouts: int = 0
    """Creates the engine gave up waiting for (`tick`): each may be asked for once more."""
    """Responses the connection cut before their `response.done`: each may be asked for again."""

    def needs_approval(self, call_id: str, name: str, arguments: str) -> ApprovalNeed | None:
        wanted = self.approval_mode == "all" or (self.approval_mode == "odd" and call_id[-1] in "13579")
        return ApprovalNeed(timeout=self.approval_timeout) if wanted else None

    # -- checking every engine answer ----------------------------------------------------------

    def apply(self, actions: list[Action]) -> None:
        self.h.actions.extend(actions)
        for action in actions:
            if isinstance(action, Send):
                self.on_send(action.event)
            elif isinstance(action, StartCall):
                assert action.call_id not in self.started, "a call starts once"
                if self.needs_approval(action.call_id, "", "") is not None:
                    assert action.call_id in self.approved, "a call that needs approval starts once approved"
                self.started.append(action.call_id)
            elif isinstance(action, CancelCall):
                assert action.call_id in self.started
                assert action.call_id not in self.settled_ids
            elif isinstance(action, Emit) and isinstance(action.event, ErrorReported):
                if action.event.error.code == CREATE_TIMEOUT_CODE:
                    assert action.event.error.event_id in self.creates_in_flight
                    self.creates_in_flight.discard(action.event.error.event_id)
                    self.timeouts += 1
            elif isinstance(action, Emit) and isinstance(action.event, ApprovalRequested):
                assert action.event.call_id not in self.awaiting + self.started + self.settled_ids
                assert self.needs_approval(action.event.call_id, "", "") is not None
                self.awaiting.append(action.event.call_id)
            elif isinstance(action, Emit) and isinstance(action.event, ApprovalDecided):
                assert action.event.call_id in self.awaiting, "only a waiting call is decided"
                self.awaiting.remove(action.event.call_id)
                if action.event.verdict == "approved":
                    self.approved.append(action.event.call_id)
            elif isinstance(action, Emit) and isinstance(action.event, ToolCallFinished):
                call_id = action.event.call_id
                if call_id in self.awaiting:  # cancelled while it waited
                    self.awaiting.remove(call_id)
                assert call_id not in self.settled_ids, "exactly one outcome per call"
                self.settled_ids.append(call_id)
                if self.connected:
                    assert self.outputs_this_epoch.get(call_id) == 1, "settled while connected: posted once"

    def on_send(self, event: ClientEvent) -> None:
        assert self.connected, "nothing is sent while disconnected"
        assert event.event_id, "every client event carries an event_id"
        if isinstance(event, ResponseCreate):
            assert not self.client_active, "never while a response is active"
            assert not self.creates_in_flight, "never while another response.create is unanswered"
            self.creates += 1
            if event.response is not None and event.response.conversation == "none":
                self.fillers += 1
                assert event.response.tool_choice == "none", "a filler calls no tools"
            self.creates_in_flight.add(event.event_id)
        elif isinstance(event, ConversationItemCreate) and isinstance(event.item, FunctionCallOutputItem):
            call_id = event.item.call_id
            self.outputs_this_epoch[call_id] = self.outputs_this_epoch.get(call_id, 0) + 1
            assert self.outputs_this_epoch[call_id] == 1, "one output per call per connection"
        self.inbox.append(event)

    # -- the simulated server --------------------------------------------------------------------

    def response_script(self, rid: str, out_of_band: bool = False) -> list[ServerEvent]:
        may_call = self.batches < 4 and not out_of_band
        n_calls = self.data.draw(st.integers(0, 3), label="calls") if may_call else 0
        with_text = self.data.draw(st.booleans(), label="text")
        streams: list[list[ServerEvent]] = []
        items = []
        base = 1 if with_text else 0
        for k in range(n_calls):
            cid = f"{rid}_c{k}"
            index = base + k
            args = f'{{"n": {k}}}'
            streams.append(
                [
                    fc_added(rid, index, cid),
                    fc_delta(rid, index, cid, args[:3]),
                    fc_delta(rid, index, cid, args[3:]),
                    fc_args_done(
                        rid, index, cid, args, name=self.data.draw(st.sampled_from(["lookup", None]))
                    ),
                    fc_item_done(rid, index, cid, args),
                ]
            )
            items.append(fc_item(cid, args))
        if with_text:
            streams.insert(0, [text(rid, f"{rid}_m", "hello")])
        order = self.data.draw(
            st.permutations([i for i, s in enumerate(streams) for _ in s]), label="interleave"
        )
        cursors = [iter(s) for s in streams]
        events: list[ServerEvent] = [next(cursors[i]) for i in order]
        if n_calls:
            self.batches += 1
        return [*events, done(rid, output=items)]

    def start_response(self, create: ResponseCreate | None = None) -> None:
        rid = f"r{next(self.ids)}"
        self.server_active = rid
        announced = created(rid)
        if self.echo and create is not None and create.response is not None:
            announced.response.metadata = create.response.metadata
        self.outbox.append(announced)
        params = create.response if create is not None else None
        out_of_band = params is not None and params.conversation == "none"
        self.generating = deque(self.response_script(rid, out_of_band))

    def cancel_active(self) -> None:
        if self.server_active is not None:
            self.generating = deque([done(self.server_active, status="cancelled")])

    def process_one(self) -> None:
        event = self.inbox.popleft()
        if isinstance(event, ResponseCreate):
            if self.server_active is not None:
                self.outbox.append(error("conversation_already_has_active_response", event.event_id))
            else:
                self.start_response(event)
        elif isinstance(event, ResponseCancel):
            if self.server_active is None:
                self.outbox.append(error("response_cancel_not_active", event.event_id))
            else:
                self.cancel_active()
        elif isinstance(event, ConversationItemCreate) and isinstance(event.item, FunctionCallOutputItem):
            self.outbox.append(output_acked(event.item.call_id))

    def generate_one(self) -> None:
        event = self.generating.popleft()
        if isinstance(event, ResponseDone):
            self.server_active = None
        self.outbox.append(event)

    def deliver(self, event: ServerEvent) -> None:
        if isinstance(event, ResponseCreated):
            self.client_active.add(event.response.id)
            tag = (event.response.metadata or {}).get(CREATE_TAG)
            self.echo_seen = self.echo_seen or tag is not None
            if self.echo_seen:  # the tag says which create it answers (none: server VAD started it)
                self.creates_in_flight.discard(tag or "")
            else:
                # Until the server has echoed a tag, the client cannot tell whose response this is:
                # like the engine, take it as the answer to the pending create; an error naming that
                # create corrects it (see race_errors).
                self.creates_in_flight.clear()
        elif isinstance(event, ResponseDone):
            self.client_active.discard(event.response.id)
        elif event.kind == "error":
            err = event.error  # type: ignore[attr-defined]
            self.creates_in_flight.discard(err.event_id or "")
            if err.code == "conversation_already_has_active_response":
                self.race_errors += 1
        self.delivered.append(event)
        self.apply(self.h.engine.receive(event, self.h.now))

    # -- one random step -----------------------------------------------------------------------

    def step(self) -> None:
        self.h.now += self.data.draw(st.sampled_from([0.0, 0.01, 0.2]))
        ops = ["tool", "late", "app_text", "noise_error", "reconnect" if not self.connected else "disconnect"]
        if self.approval_mode != "none":
            ops += ["approve", "reject", "decide_again"]
        ops += ["progress", "wait", "handoff", "guardrail"]
        if self.connected:
            ops += ["deliver", "deliver", "deliver", "process", "generate", "generate", "speech", "dup"]
            ops += ["tick", "swallow"]
        op = self.data.draw(st.sampled_from(ops), label="op")
        engine = self.h.engine
        running = [c for c in self.started if c not in self.settled_ids]
        if op == "deliver" and self.outbox:
            self.deliver(self.outbox.popleft())
        elif op == "process" and self.inbox:
            self.process_one()
        elif op == "generate":
            if self.generating:
                self.generate_one()
            elif self.server_active is None and self.data.draw(st.booleans(), label="vad response"):
                self.start_response()
        elif op == "tool" and running:
            call_id = self.data.draw(st.sampled_from(running))
            status = self.data.draw(st.sampled_from(STATUSES))
            self.apply(engine.call_finished(call_id, f"out {call_id}", status=status, now=self.h.now))
        elif op == "approve" and self.awaiting:
            self.apply(engine.approve(self.data.draw(st.sampled_from(self.awaiting)), self.h.now))
        elif op == "reject" and self.awaiting:
            self.apply(engine.reject(self.data.draw(st.sampled_from(self.awaiting)), "policy", self.h.now))
        elif op == "decide_again" and self.settled_ids:
            call_id = self.data.draw(st.sampled_from(self.settled_ids))
            with pytest.raises(ApprovalError):
                engine.approve(call_id, self.h.now)
        elif op == "progress" and running:
            call_id = self.data.draw(st.sampled_from(running))
            self.progress_notes += 1
            self.apply(engine.say_progress(call_id, "still checking", self.h.now))
        elif op == "guardrail":  # an output guardrail stops what is being said, a replacement follows
            say = ResponseParams(instructions="Say exactly this: sorry.")
            target = self.data.draw(st.sampled_from(["r_none", *sorted(self.client_active)]), label="stopped")
            self.app_requests += 1
            self.apply(engine.stop_output(target, f"{target}_m", 3, self.h.now, replacement=say))
        elif op == "handoff":
            self.agent = f"agent {next(self.ids)}"
            self.apply(engine.update_session(SessionConfig(instructions=self.agent), self.h.now))
        elif op == "wait":  # past a filler's threshold, short of every other limit
            self.h.now += 2.0
            self.apply(engine.tick(self.h.now))
        elif op == "late" and self.settled_ids:
            call_id = self.data.draw(st.sampled_from(self.settled_ids))
            assert engine.call_finished(call_id, "late", status="ok", now=self.h.now) == []
        elif op == "app_text":
            self.app_requests += 1
            self.apply(engine.send_text("user says", self.h.now))
        elif op == "noise_error" and self.connected:
            self.deliver(error("invalid_value"))
        elif op == "speech":
            self.outbox.append(speech_started())
            self.cancel_active()  # interrupt_response: the server cancels by itself
        elif op == "dup" and self.delivered:
            event = self.data.draw(st.sampled_from(self.delivered))
            if not isinstance(event, (ResponseCreated, ResponseDone)) and event.kind != "error":
                self.deliver(event)
        elif op == "tick":
            self.h.now += 16.0  # past the create timeout (15 s)
            self.apply(engine.tick(self.h.now))
        elif op == "swallow":  # the server loses a response.create: it is never answered
            lost = [e for e in self.inbox if isinstance(e, ResponseCreate)]
            if lost:
                self.inbox.remove(lost[0])
        elif op == "disconnect":
            self.disconnect()
        elif op == "reconnect":
            self.reconnect()

    def quiet_choices(self) -> list[str]:
        """What may happen next when nothing interferes: the server and the tools making progress."""
        queues = (("out", self.outbox), ("in", self.inbox), ("gen", self.generating))
        return [name for name, queue in queues if queue] + (["tool"] if self.running() else [])

    def running(self) -> list[str]:
        return [c for c in self.started if c not in self.settled_ids]

    def quiet_step(self, pick: str) -> None:
        """Carry out one of `quiet_choices`."""
        if pick == "out":
            self.deliver(self.outbox.popleft())
        elif pick == "in":
            self.process_one()
        elif pick == "gen":
            self.generate_one()
        else:
            call_id = self.data.draw(st.sampled_from(self.running()))
            self.apply(self.h.engine.call_finished(call_id, "ok", status="ok", now=self.h.now))

    def decide_one(self) -> bool:
        """Approve or reject a waiting call, or (False) leave them all to their deadline."""
        engine = self.h.engine
        choices = ["approve", "reject"] + (["wait"] if self.approval_timeout is not None else [])
        choice = self.data.draw(st.sampled_from(choices), label="decision")
        call_id = self.data.draw(st.sampled_from(self.awaiting), label="decided call")
        if choice == "approve":
            self.apply(engine.approve(call_id, self.h.now))
        elif choice == "reject":
            self.apply(engine.reject(call_id, "over the limit", self.h.now))
        return choice != "wait"

    def disconnect(self) -> None:
        self.connected = False
        self.inbox.clear()
        self.outbox.clear()
        self.generating.clear()
        self.server_active = None
        self.cut_responses += len(self.client_active)
        self.client_active.clear()
        self.lost_creates += len(self.creates_in_flight)
        self.creates_in_flight.clear()
        self.apply(self.h.engine.connection_lost(self.h.now))

    def reconnect(self) -> None:
        self.connected = True
        self.outputs_this_epoch = {}
        actions = self.h.engine.reconnected(self.h.now)
        self.apply(actions)
        first = actions[0]
        assert isinstance(first, Send)
        assert isinstance(first.event, SessionUpdate), "a new connection is configured first"
        if self.agent != "triage":
            assert first.event.session.instructions == self.agent, "the agent handed to is kept"

    def drain(self) -> None:
        """Let the server and tools run to quiescence (while connected)."""
        for _ in range(500):
            running = [c for c in self.started if c not in self.settled_ids]
            if self.outbox:
                self.deliver(self.outbox.popleft())
            elif self.inbox:
                self.process_one()
            elif self.generating:
                self.generate_one()
            elif running:
                self.apply(self.h.engine.call_finished(running[0], "ok", status="ok", now=self.h.now))
            elif self.awaiting and self.decide_one():
                pass
            elif (deadline := self.h.engine.next_deadline) is not None:
                self.h.now = max(self.h.now, deadline)
                self.apply(self.h.engine.tick(self.h.now))
            else:
                return
        raise AssertionError("the conversation never settled")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_invariants_hold_for_any_order(data: st.DataObject) -> None:
    late = data.draw(st.sampled_from(["silent", "speak", "drop"]), label="late results")
    filler = data.draw(st.sampled_from([None, "say you are still on it"]), label="filler")
    reply = data.draw(st.booleans(), label="tools need a reply")
    harness = Harness(
        connect=False,
        policy=lambda name: CallPolicy(follow_up=reply, filler=filler, late=late),
        approvals=lambda *call: world.needs_approval(*call),
        filler_after=data.draw(st.sampled_from([None, 1.0]), label="filler after"),
    )
    world = World(harness, data, echo=data.draw(st.booleans(), label="echo"))
    world.approval_mode = data.draw(st.sampled_from(["none", "odd", "all"]), label="approvals")
    world.approval_timeout = data.draw(st.sampled_from([None, 10.0]), label="approval timeout")
    history = data.draw(st.sampled_from([[], SAVED_HISTORY]), label="history")
    world.h.engine.restore(history)  # a conversation saved by an earlier session continues here
    first = world.h.engine.connected(0.0)
    world.apply(first)
    seeded = [
        a.event.item for a in first if isinstance(a, Send) and isinstance(a.event, ConversationItemCreate)
    ]
    assert len(seeded) == (4 if history else 0), "the history is given first (a call is two items)"
    for _ in range(data.draw(st.integers(1, 60), label="steps")):
        world.step()
    if not world.connected:
        world.reconnect()
    world.drain()
    assert not world.h.engine.response_active
    allowed = world.app_requests + world.batches + world.race_errors + world.lost_creates
    assert world.creates - world.fillers <= allowed + world.cut_responses + world.timeouts
    assert world.fillers <= len(set(world.started) | set(world.settled_ids)) + world.progress_notes
    assert world.h.engine.next_deadline is None, "nothing left waiting"
    world.apply(world.h.engine.close(world.h.now))
    assert sorted(world.settled_ids) == sorted(set(world.started) | set(world.settled_ids))
    assert set(world.started) <= set(world.settled_ids), "every started call got its outcome"
    assert world.h.engine.running_calls == ()
    assert world.h.engine.awaiting_approval == ()
    assert not world.awaiting


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_without_interference_each_batch_gets_exactly_one_follow_up(data: st.DataObject) -> None:
    """One request, tools finishing in any order, nothing racing: one create per batch, no more (none
    for a batch of tools that need no reply); slow tools get fillers and spoken progress, and none of
    those is ever taken for a follow-up."""
    no_reply = data.draw(st.booleans(), label="tools that need no reply")
    harness = Harness(
        connect=False,
        policy=lambda name: CallPolicy(follow_up=not no_reply, filler="say you are still on it"),
        filler_after=data.draw(st.sampled_from([None, 1.0]), label="filler after"),
    )
    world = World(harness, data, echo=data.draw(st.booleans(), label="echo"))
    world.apply(world.h.engine.connected(0.0))
    world.app_requests += 1
    world.apply(world.h.engine.request_response(0.0))
    for _ in range(300):
        choices = world.quiet_choices()
        if not choices:
            break
        pick = data.draw(st.sampled_from([*choices, *(["wait", "progress"] if world.running() else [])]))
        if pick == "wait":
            world.h.now += 2.0
            world.apply(world.h.engine.tick(world.h.now))
        elif pick == "progress":
            world.progress_notes += 1
            world.apply(world.h.engine.say_progress(world.running()[0], "still checking", world.h.now))
        else:
            world.quiet_step(pick)
    assert world.race_errors == 0
    follow_ups = 0 if no_reply else world.batches
    assert world.creates - world.fillers == world.app_requests + follow_ups
    assert set(world.started) == set(world.settled_ids)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_calls_waiting_for_approval_keep_their_batch_whole(data: st.DataObject) -> None:
    """Calls that wait for a decision (approved, rejected or timed out, in any order with the other
    calls of their batch finishing): each batch still gets its one follow-up, after every output."""
    harness = Harness(connect=False, approvals=lambda *call: world.needs_approval(*call))
    world = World(harness, data, echo=data.draw(st.booleans(), label="echo"))
    world.approval_mode = data.draw(st.sampled_from(["odd", "all"]), label="approvals")
    world.approval_timeout = data.draw(st.sampled_from([None, 10.0]), label="approval timeout")
    world.apply(world.h.engine.connected(0.0))
    world.app_requests += 1
    world.apply(world.h.engine.request_response(0.0))
    for _ in range(300):
        choices = world.quiet_choices() + (["decide"] if world.awaiting else [])
        if not choices:
            if (deadline := world.h.engine.next_deadline) is None:
                break
            world.h.now = deadline  # only approval deadlines are left: let them pass
            world.apply(world.h.engine.tick(world.h.now))
            continue
        pick = data.draw(st.sampled_from(choices))
        if pick == "decide":
            world.decide_one()
        else:
            world.quiet_step(pick)
    assert world.race_errors == 0
    assert world.creates == world.app_requests + world.batches, "one follow-up per batch, decided or not"
    assert set(world.started) <= set(world.settled_ids)
    assert not world.awaiting
    assert world.h.engine.awaiting_approval == ()
    finished = {e.call_id: e.status for e in world.h.emitted(ToolCallFinished)}
    for call_id in world.settled_ids:
        if world.needs_approval(call_id, "", "") is not None and call_id not in world.approved:
            assert finished[call_id] in ("rejected", "approval_timeout"), "no decision, no run"
    for call_id in world.approved:
        with pytest.raises(ApprovalError, match="already approved"):
            world.h.engine.reject(call_id, "too late", world.h.now)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_an_answer_cut_by_a_drop_is_asked_for_again_exactly_once(data: st.DataObject) -> None:
    """A drop anywhere in a question's answer (text, calls, follow-ups): after the replay, exactly
    one create continues it (plus one per tool batch of the new connection); none when it was over."""
    world = World(Harness(connect=False), data, echo=data.draw(st.booleans(), label="echo"))
    world.apply(world.h.engine.connected(0.0))
    world.app_requests += 1
    world.apply(world.h.engine.request_response(0.0))
    for _ in range(data.draw(st.integers(0, 40), label="steps before the drop")):
        running = [c for c in world.started if c not in world.settled_ids]
        if world.outbox:
            world.deliver(world.outbox.popleft())
        elif world.inbox:
            world.process_one()
        elif world.generating:
            world.generate_one()
        elif running:
            world.apply(world.h.engine.call_finished(running[0], "ok", status="ok", now=0.0))
    running = [c for c in world.started if c not in world.settled_ids]
    owed = world.h.engine.response_active or bool(running)
    world.disconnect()
    creates_before, batches_before = world.creates, world.batches
    world.reconnect()
    world.drain()
    assert world.creates - creates_before == int(owed) + world.batches - batches_before
    assert not world.h.engine.response_active
    finished = world.h.emitted(ResponseFinished)
    assert finished
    assert finished[-1].status == "completed", "the question ends answered"
