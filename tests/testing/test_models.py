"""The model interface: ScriptedModel's steps, and what a ModelContext offers a model."""

from __future__ import annotations

from agentkit.protocol.items import InputAudioPart, MessageItem, assistant_text, user_text
from agentkit.protocol.session_config import ResponseParams, SessionConfig
from agentkit.testing.keyword_model import KeywordModel
from agentkit.testing.models import Call, ModelContext, Output, RealtimeModel, Say, ScriptedModel

FAQ = {"type": "function", "name": "search_faq", "parameters": {"type": "object", "properties": {}}}
ESCALATE = {"type": "function", "name": "escalate", "parameters": {"type": "object", "properties": {}}}


def context(text: str = "hi", **session: object) -> ModelContext:
    return ModelContext(items=[user_text(text)], session=SessionConfig(**session))  # type: ignore[arg-type]


def test_scripted_model_answers_each_response_with_the_next_step() -> None:
    def echo(ctx: ModelContext) -> list[Output]:
        return [Say(f"you said {ctx.user_text}")]

    model = ScriptedModel([[Say("one"), Call("lookup", {"id": 1})], echo, [Call("raw", '{"broken": ')]])
    assert model.remaining == 3
    assert model.respond(context("a")) == [Say("one"), Call("lookup", {"id": 1})]
    assert model.respond(context("b")) == [Say("you said b")]
    assert model.respond(context("c")) == [Call("raw", '{"broken": ')]
    assert model.remaining == 0
    assert [c.user_text for c in model.contexts] == ["a", "b", "c"]


def test_scripted_model_says_when_its_script_is_used_up() -> None:
    assert ScriptedModel([]).respond(context()) == [Say("(script finished)")]
    assert ScriptedModel([], exhausted=[Call("hang_up")]).respond(context()) == [Call("hang_up")]


def test_scripted_model_does_not_share_its_script() -> None:
    steps: list[list[Output]] = [[Say("one")]]
    model = ScriptedModel(steps)
    model.respond(context())
    assert steps == [[Say("one")]]


def test_context_tools_prefer_the_responses_own() -> None:
    ctx = context(tools=[FAQ])
    assert ctx.tools == [FAQ]
    ctx.response = ResponseParams(tools=[ESCALATE])
    assert ctx.tools == [ESCALATE]
    ctx.response = ResponseParams(tools=[])
    assert ctx.tools == []
    assert context().tools == []


def test_context_user_text_is_the_latest_user_turn_and_its_transcript() -> None:
    spoken = MessageItem(role="user", content=[InputAudioPart(audio="AAAA", transcript="where is it")])
    ctx = ModelContext(items=[user_text("first"), spoken, assistant_text("reply")], session=SessionConfig())
    assert ctx.user_text == "where is it"
    assert ModelContext(items=[assistant_text("x")], session=SessionConfig()).user_text == ""


def test_both_models_fit_the_interface() -> None:
    models: list[RealtimeModel] = [ScriptedModel([[Say("ok")]]), KeywordModel()]
    for model in models:
        [output] = model.respond(context("hello"))
        assert isinstance(output, Say)
