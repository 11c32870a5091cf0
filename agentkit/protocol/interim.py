"""Voice Live's interim responses: the service's own short lines while a tool runs or an answer is slow.

The shape is published (the `azure-ai-voicelive` and `@azure/ai-projects` models): a `type` of
`static_interim_response` (one of `texts`, at random) or `llm_interim_response` (a small model
writes the line, guided by `instructions`), `triggers` from `latency` and `tool`, and an optional
`latency_threshold_ms` (2000 by default). Other fields pass through. A shape outside that is refused
here with a clear error, before anything is sent (the service would refuse the `session.update`).
"""

from __future__ import annotations

from typing import Any

INTERIM_TYPES = ("static_interim_response", "llm_interim_response")
INTERIM_TRIGGERS = ("latency", "tool")


def interim_problem(value: Any) -> tuple[str, str] | None:
    """What is wrong with an `interim_response` setting, as (param, message); None when it is fine."""
    where = "session.interim_response"
    if not isinstance(value, dict):
        return where, "interim_response must be an object with a `type`"
    kind = value.get("type")
    if kind not in INTERIM_TYPES:
        return (
            f"{where}.type",
            f"unknown interim response type {kind!r}; use one of {', '.join(INTERIM_TYPES)}",
        )
    triggers = value.get("triggers", [])
    if not isinstance(triggers, list) or not all(trigger in INTERIM_TRIGGERS for trigger in triggers):
        return (
            f"{where}.triggers",
            f"triggers must be a list of {', '.join(INTERIM_TRIGGERS)}; got {triggers!r}",
        )
    threshold = value.get("latency_threshold_ms")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0
    ):
        return f"{where}.latency_threshold_ms", "latency_threshold_ms must be a whole number of milliseconds"
    texts = value.get("texts")
    if kind == "static_interim_response" and (
        not isinstance(texts, list) or not texts or not all(isinstance(text, str) and text for text in texts)
    ):
        return f"{where}.texts", "a static interim response needs `texts`: a list of lines to choose from"
    return None


def is_realtime_audio_model(model: str | None) -> bool:
    """Whether Voice Live runs `model` speech to speech (then it gives no interim responses: they are
    for text models in its cascaded mode, and for Foundry agents, whose endpoint names no model)."""
    return model is not None and "realtime" in model.lower()


def interim_filler(filler_after: float, instructions: str | None = None) -> dict[str, Any]:
    """The interim response that stands in for agentkit's own filler: a model-written line when a
    tool runs, or when an answer takes longer than `filler_after` seconds."""
    setting: dict[str, Any] = {
        "type": "llm_interim_response",
        "triggers": ["tool", "latency"],
        "latency_threshold_ms": round(filler_after * 1000),
    }
    if instructions:
        setting["instructions"] = instructions
    return setting
