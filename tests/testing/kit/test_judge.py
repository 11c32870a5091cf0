"""The judge: a verdict from a model (here a scripted local one), skipped offline with a reason."""

from __future__ import annotations

import pytest

from agentkit.engine import Turn
from agentkit.protocol import Usage
from agentkit.testing import LocalRealtimeServer, Say, ScriptedModel
from agentkit.testing.kit import Judge, TurnAssertionError
from agentkit.testing.kit.judge import NO_CREDENTIALS, parse_verdict

TURN = Turn(
    user_input="Refund A-1001",
    text="Done, your refund is on its way.",
    tool_calls=(),
    usage=Usage(),
    interrupted=False,
    response_ids=(),
    started_at=0.0,
    ended_at=1.0,
)


@pytest.mark.parametrize(
    ("answer", "passed", "reason"),
    [
        ('{"pass": true, "reason": "Polite and brief."}', True, "Polite and brief."),
        ('```json\n{"pass": false, "reason": "No amount quoted."}\n```', False, "No amount quoted."),
        ('Verdict: {"passed": true}', True, ""),
        ("I think it is fine.", False, "the judge did not answer with a verdict: I think it is fine."),
        ('{"pass": "yes"}', False, 'the judge did not answer with a verdict: {"pass": "yes"}'),
    ],
)
def test_verdicts_are_read_from_the_models_answer(answer: str, passed: bool, reason: str) -> None:
    verdict = parse_verdict(answer)
    assert (verdict.passed, verdict.reason) == (passed, reason)


@pytest.mark.anyio
async def test_a_judge_asks_its_model_with_the_rubric_and_the_conversation() -> None:
    model = ScriptedModel(
        [
            [Say('{"pass": true, "reason": "It confirmed the refund."}')],
            [Say('{"pass": false, "reason": "It never quoted the amount."}')],
        ]
    )
    async with LocalRealtimeServer(model=model) as server:
        judge = Judge(server.endpoint(), timeout=20)
        verdict = await judge.check(TURN, "The agent confirms the refund.")
        assert verdict.passed
        with pytest.raises(TurnAssertionError) as failure:
            await judge.check([TURN], "The agent quotes the amount before refunding.")
    message = str(failure.value)
    assert "the judge found the rubric not met: It never quoted the amount." in message
    assert "caller: Refund A-1001" in message
    asked = model.contexts[0].user_text
    assert "Rubric:\nThe agent confirms the refund." in asked
    assert "agent:  Done, your refund is on its way." in asked


def test_without_credentials_there_is_no_judge() -> None:
    assert Judge.from_env({}) is None
    assert "AZURE_OPENAI_ENDPOINT" in NO_CREDENTIALS
    assert "OPENAI_API_KEY" in NO_CREDENTIALS
    assert (
        Judge.from_env({"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}) is not None
    )
