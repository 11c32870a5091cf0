"""Who fills the silence while a tool runs: agentkit's out-of-band line, or the service's own.

Voice Live speaks interim responses of its own (with text models in its cascaded mode, and for
Foundry agents). Where it can, an agent's `filler_after` becomes that setting and agentkit sends no
filler of its own, so the caller never hears two; over speech-to-speech models, and on OpenAI's
services, agentkit's filler stays. An `interim_response` the application set itself is kept as is.
"""

from __future__ import annotations

from agentkit.protocol import Dialect, SessionConfig
from agentkit.protocol.interim import interim_filler, is_realtime_audio_model


def service_filler(
    config: SessionConfig, filler_after: float | None, dialect: Dialect, model: str | None
) -> tuple[SessionConfig, float | None]:
    """The session config to send and the engine's own `filler_after` (None: the service fills)."""
    if dialect is not Dialect.VOICE_LIVE:
        return config, filler_after
    if config.interim_response is not None:
        return config, None
    if filler_after is None or is_realtime_audio_model(model):
        return config, filler_after
    filled = config.model_copy()
    filled.interim_response = interim_filler(filler_after)
    return filled, None
