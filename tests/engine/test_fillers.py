"""No dead air: out-of-band fillers while a tool runs, spoken progress, and late results by policy."""

from __future__ import annotations

from agentkit.engine import CREATE_TAG, CallPolicy, ToolCallFinished, TurnDone
from agentkit.protocol import ConversationItemCreate, MessageItem, Response, ResponseCreated
from tests.engine.script import Harness, call_events, created, done, fc_item, speech_started, text

FILLER = "Say in a few words that you are still checking with the carrier."


def _harness(late: str = "silent", filler_after: float | None = 2.0) -> Harness:
    return Harness(policy=lambda name: CallPolicy(filler=FILLER, late=late), filler_after=filler_after)


def _slow_call(h: Harness, rid: str = "r1", call_id: str = "c1") -> None:
    """Response `rid` makes one call and ends; the call keeps running."""
    h.feed(created(rid), *call_events(rid, 0, call_id, '{"parcel": "P-1"}', "track_parcel"))
    h.feed(done(rid, output=[fc_item(call_id, '{"parcel": "P-1"}', "track_parcel")]))


def _answer(h: Harness, create_index: int, rid: str, words: str) -> None:
    """The server answers the `create_index`-th create with a text response `rid`."""
    create = h.creates()[create_index]
    assert create.response is not None
    h.feed(ResponseCreated(response=Response(id=rid, metadata=create.response.metadata)))
    h.feed(text(rid, f"{rid}_m", words), done(rid))


def test_a_call_past_the_threshold_gets_one_out_of_band_filler_that_is_no_follow_up() -> None:
    h = _harness()
    h.run(h.engine.send_text("where is my parcel?", h.now))
    _answer_with_call = h.creates()[0]
    assert _answer_with_call.response is not None
    h.feed(ResponseCreated(response=Response(id="r1", metadata=_answer_with_call.response.metadata)))
    h.feed(*call_events("r1", 0, "c1", '{"parcel": "P-1"}', "track_parcel"))
    h.feed(done("r1", output=[fc_item("c1", '{"parcel": "P-1"}', "track_parcel")]))
    assert h.engine.next_deadline == 2.0
    h.now = 1.9
    assert h.run(h.engine.tick(h.now)) == []
    h.now = 2.0
    h.run(h.engine.tick(h.now))
    filler = h.creates()[1].response
    assert filler is not None
    assert (filler.conversation, filler.tool_choice, filler.instructions) == ("none", "none", FILLER)
    assert filler.metadata is not None
    assert filler.metadata["agentkit_filler"] == "c1"
    assert CREATE_TAG in filler.metadata
    h.feed(ResponseCreated(response=Response(id="f1", metadata=filler.metadata)))
    h.feed(text("f1", "f1_m", "Still checking with the carrier."))
    h.finish("c1", "in transit")  # the result is in while the filler still plays
    assert len(h.creates()) == 2, "never a create into the filler"
    h.feed(done("f1"))
    assert len(h.creates()) == 3, "the follow-up, once the filler is done"
    assert h.creates()[2].response is not None
    assert h.creates()[2].response.conversation is None
    h.now = 10.0
    h.run(h.engine.tick(h.now))
    assert len(h.creates()) == 3, "one filler per batch"
    _answer(h, 2, "r2", "It is in transit.")
    [turn] = [e.turn for e in h.emitted(TurnDone)]
    assert "Still checking" not in turn.text, "the filler is not part of the conversation"
    assert turn.text == "It is in transit."
    h.run(h.engine.connection_lost(h.now))
    replay = h.run(h.engine.reconnected(h.now))
    replayed = [e.item for e in h.sent(ConversationItemCreate, replay) if isinstance(e.item, MessageItem)]
    assert all("Still checking" not in item.text for item in replayed)


def test_no_filler_once_the_answer_is_due_or_for_tools_without_one() -> None:
    h = _harness()
    _slow_call(h)
    h.finish("c1")
    h.now = 5.0
    h.run(h.engine.tick(h.now))
    assert [c.response.conversation for c in h.creates() if c.response] == [None]
    quiet = Harness(policy=lambda name: CallPolicy(), filler_after=2.0)
    _slow_call(quiet)
    quiet.now = 5.0
    quiet.run(quiet.engine.tick(quiet.now))
    assert quiet.creates() == []
    assert quiet.engine.next_deadline is None


def test_a_progress_note_is_spoken_out_of_band_while_the_call_runs() -> None:
    h = _harness(filler_after=None)
    _slow_call(h)
    h.run(h.engine.say_progress("c1", "the carrier's system is slow today", h.now))
    [create] = h.creates()
    assert create.response is not None
    assert create.response.conversation == "none"
    assert "the carrier's system is slow today" in (create.response.instructions or "")
    h.finish("c1")
    assert h.run(h.engine.say_progress("c1", "too late", h.now)) == [], "a settled call says nothing"


def test_a_filler_cut_off_by_a_drop_is_not_asked_for_again() -> None:
    h = _harness()
    _slow_call(h)
    h.now = 3.0
    h.run(h.engine.tick(h.now))
    filler = h.creates()[0].response
    assert filler is not None
    h.feed(ResponseCreated(response=Response(id="f1", metadata=filler.metadata)))
    h.run(h.engine.connection_lost(h.now))
    replay = h.run(h.engine.reconnected(h.now))
    assert h.sent(type(h.creates()[0]), replay) == []


def _overtaken(late: str) -> Harness:
    """A slow call whose user moved on (a new turn, answered) before its result came."""
    h = _harness(late=late, filler_after=None)
    _slow_call(h)
    h.feed(speech_started(), created("r2"), text("r2", "r2_m", "Sure, anything else?"), done("r2"))
    h.finish("c1", "in transit")
    return h


def test_a_late_result_is_silent_by_default() -> None:
    h = _overtaken("silent")
    assert h.outputs() == {"c1": ["in transit"]}
    assert h.creates() == []


def test_a_late_result_with_speak_gets_a_follow_up_once_the_line_is_quiet() -> None:
    h = _overtaken("speak")
    assert h.outputs() == {"c1": ["in transit"]}
    assert len(h.creates()) == 1


def test_a_late_result_with_drop_is_answered_with_a_note_instead() -> None:
    h = _overtaken("drop")
    [output] = h.outputs()["c1"]
    assert "in transit" not in output
    assert "dropped" in output
    assert h.emitted(ToolCallFinished)[0].status == "dropped"
    assert h.creates() == []
