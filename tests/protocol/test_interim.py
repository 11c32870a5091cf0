"""Voice Live's interim responses: the published shapes pass, others are refused before sending, and
who fills the silence (the service, where it can, or agentkit) is decided once per session."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.engine.interim import service_filler
from agentkit.protocol import Codec, Dialect, EncodeError, SessionConfig, SessionUpdate
from agentkit.protocol.interim import interim_filler, interim_problem

# From Microsoft Learn, "Improve tool calling and latency wait times" (Voice Live interim responses),
# and the azure-ai-voicelive StaticInterimResponseConfig / LlmInterimResponseConfig models.
PUBLISHED = [
    {"type": "static_interim_response", "triggers": ["tool"], "texts": ["One moment."]},
    {"type": "llm_interim_response", "triggers": ["latency", "tool"], "latency_threshold_ms": 2000},
]


@pytest.mark.parametrize("setting", PUBLISHED)
def test_the_published_shapes_pass(setting: dict[str, Any]) -> None:
    assert interim_problem(setting) is None
    frame = Codec(Dialect.VOICE_LIVE).encode_client_event(
        SessionUpdate(session=SessionConfig(interim_response=setting))
    )
    assert f'"{setting["type"]}"' in frame


@pytest.mark.parametrize(
    ("setting", "param"),
    [
        ({"type": "magic_interim_response", "triggers": ["tool"]}, "session.interim_response.type"),
        ({"triggers": ["tool"]}, "session.interim_response.type"),
        ({"type": "llm_interim_response", "triggers": ["silence"]}, "session.interim_response.triggers"),
        ({"type": "llm_interim_response", "triggers": "tool"}, "session.interim_response.triggers"),
        (
            {"type": "llm_interim_response", "latency_threshold_ms": "2s"},
            "session.interim_response.latency_threshold_ms",
        ),
        ({"type": "static_interim_response", "triggers": ["tool"]}, "session.interim_response.texts"),
        ({"type": "static_interim_response", "texts": [""]}, "session.interim_response.texts"),
        ("one moment", "session.interim_response"),
    ],
)
def test_an_unknown_shape_is_refused_before_sending(setting: Any, param: str) -> None:
    problem = interim_problem(setting)
    assert problem is not None
    assert problem[0] == param
    if not isinstance(setting, dict):
        return  # SessionConfig itself takes only an object here
    update = SessionUpdate(session=SessionConfig(interim_response=setting))
    with pytest.raises(EncodeError, match=param.replace(".", r"\.")):
        Codec(Dialect.VOICE_LIVE).encode_client_event(update)


def test_only_voice_live_takes_interim_responses() -> None:
    update = SessionUpdate(session=SessionConfig(interim_response=PUBLISHED[0]))
    with pytest.raises(EncodeError, match="Voice Live settings"):
        Codec(Dialect.GA).encode_client_event(update)


@pytest.mark.parametrize(
    ("dialect", "model", "service_fills"),
    [
        (Dialect.VOICE_LIVE, "gpt-4.1", True),  # cascaded: a text model with Azure speech
        (Dialect.VOICE_LIVE, None, True),  # a Foundry agent
        (Dialect.VOICE_LIVE, "gpt-realtime", False),  # speech to speech: no interim responses
        (Dialect.GA, "gpt-4.1", False),
    ],
)
def test_the_service_fills_where_it_can(dialect: Dialect, model: str | None, service_fills: bool) -> None:
    config, engine_filler = service_filler(SessionConfig(instructions="x"), 1.5, dialect, model)
    if service_fills:
        assert engine_filler is None
        assert config.interim_response == interim_filler(1.5)
        assert config.interim_response["latency_threshold_ms"] == 1500
        assert "interim_response" in config.model_dump(exclude_unset=True)
    else:
        assert engine_filler == 1.5
        assert config.interim_response is None


def test_an_interim_response_the_app_set_is_kept_and_agentkit_stays_quiet() -> None:
    own = SessionConfig(interim_response=PUBLISHED[0])
    config, engine_filler = service_filler(own, 1.0, Dialect.VOICE_LIVE, "gpt-realtime")
    assert (config.interim_response, engine_filler) == (PUBLISHED[0], None)
    assert service_filler(SessionConfig(), None, Dialect.VOICE_LIVE, "gpt-4.1") == (SessionConfig(), None)
