"""Which `response.created` answers our `response.create`: the tag we put in `response.metadata`."""

from __future__ import annotations

from agentkit.engine import CREATE_TAG, ErrorReported, TurnDone
from agentkit.protocol import Response, ResponseCreated
from tests.engine.script import Harness, created, done, error


def tagged_created(rid: str, create_id: str | None) -> ResponseCreated:
    return ResponseCreated(response=Response(id=rid, metadata={CREATE_TAG: create_id}))


def _learn_that_the_server_echoes(h: Harness) -> None:
    h.run(h.engine.request_response(h.now))
    h.feed(tagged_created("r0", h.creates()[-1].event_id), done("r0"))


def test_every_create_carries_its_own_event_id_as_tag() -> None:
    h = Harness()
    h.run(h.engine.request_response(h.now))
    create = h.creates()[0]
    assert create.response is not None
    assert create.response.metadata == {CREATE_TAG: create.event_id}


def test_a_vad_response_that_overtakes_our_queued_create_is_not_taken_for_its_answer() -> None:
    """Our create waits behind audio on a slow socket; server VAD starts and ends a response first."""
    h = Harness()
    _learn_that_the_server_echoes(h)
    h.run(h.engine.send_text("what is my balance?", h.now))
    ours = h.creates()[-1].event_id
    h.feed(created("r_vad"), done("r_vad"))
    assert h.engine.response_active, "our create is still unanswered"
    assert len(h.creates()) == 2, "and nothing else is sent while it is"
    h.feed(tagged_created("r1", ours), done("r1"))
    assert not h.engine.response_active
    assert len(h.creates()) == 2, "one request, one response"
    assert "r1" in h.emitted(TurnDone)[-1].turn.response_ids, "the user's turn ends with our answer"


def test_an_unnamed_active_response_error_releases_our_create() -> None:
    """Servers that leave `event_id` out of the error: only our create can have been refused."""
    h = Harness()
    _learn_that_the_server_echoes(h)
    h.run(h.engine.send_text("what is my balance?", h.now))
    h.feed(created("r_vad"), error("conversation_already_has_active_response"))
    assert [e.handled for e in h.emitted(ErrorReported)] == [True]
    assert len(h.creates()) == 2
    h.feed(done("r_vad"))
    assert len(h.creates()) == 3, "the user's request is retried once the VAD response ends"


def test_without_an_echo_the_first_response_is_taken_as_ours() -> None:
    """Servers that drop `metadata`: the old rule, corrected by an error naming our create."""
    h = Harness()
    h.run(h.engine.request_response(h.now))
    ours = h.creates()[0].event_id
    h.feed(created("r_vad"))
    h.feed(error("conversation_already_has_active_response", ours))
    assert len(h.creates()) == 1, "retried only once the active response ends"
    h.feed(done("r_vad"))
    assert len(h.creates()) == 2
