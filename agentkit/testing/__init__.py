"""agentkit's local Realtime server and its model "brains": run agents and tests offline.

async with LocalRealtimeServer(model=ScriptedModel([[Say("Hi!")]])) as server:
    url = server.url()  # ws://127.0.0.1:PORT/v1/realtime?model=gpt-realtime
"""

from typing import TYPE_CHECKING

from agentkit._lazy import lazy_exports

if TYPE_CHECKING:
    from agentkit.testing.audio import spoken as spoken
    from agentkit.testing.connection import ServerConnection as ServerConnection
    from agentkit.testing.faults import Faults as Faults
    from agentkit.testing.keyword_model import KeywordModel as KeywordModel
    from agentkit.testing.models import (
        Call as Call,
    )
    from agentkit.testing.models import (
        ModelContext as ModelContext,
    )
    from agentkit.testing.models import (
        RealtimeModel as RealtimeModel,
    )
    from agentkit.testing.models import (
        Say as Say,
    )
    from agentkit.testing.models import (
        ScriptedModel as ScriptedModel,
    )
    from agentkit.testing.server import LocalRealtimeServer as LocalRealtimeServer
    from agentkit.testing.speech import chunk_audio as chunk_audio
    from agentkit.testing.speech import synthesize as synthesize
    from agentkit.testing.timing import Timing as Timing
    from agentkit.testing.vad import EnergyVAD as EnergyVAD
    from agentkit.testing.vad import VadEvent as VadEvent

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "audio": ("spoken",),
        "connection": ("ServerConnection",),
        "faults": ("Faults",),
        "keyword_model": ("KeywordModel",),
        "models": ("Call", "ModelContext", "RealtimeModel", "Say", "ScriptedModel"),
        "server": ("LocalRealtimeServer",),
        "speech": ("chunk_audio", "synthesize"),
        "timing": ("Timing",),
        "vad": ("EnergyVAD", "VadEvent"),
    },
)
