"""agentkit's local Realtime server and its model "brains": run agents and tests offline.

async with LocalRealtimeServer(model=ScriptedModel([[Say("Hi!")]])) as server:
    url = server.url()  # ws://127.0.0.1:PORT/v1/realtime?model=gpt-realtime
"""

from agentkit.testing.audio import spoken
from agentkit.testing.connection import ServerConnection
from agentkit.testing.faults import Faults
from agentkit.testing.keyword_model import KeywordModel
from agentkit.testing.models import Call, ModelContext, RealtimeModel, Say, ScriptedModel
from agentkit.testing.server import LocalRealtimeServer
from agentkit.testing.speech import chunk_audio, synthesize
from agentkit.testing.timing import Timing
from agentkit.testing.vad import EnergyVAD, VadEvent

__all__ = [
    "Call",
    "EnergyVAD",
    "Faults",
    "KeywordModel",
    "LocalRealtimeServer",
    "ModelContext",
    "RealtimeModel",
    "Say",
    "ScriptedModel",
    "ServerConnection",
    "Timing",
    "VadEvent",
    "chunk_audio",
    "spoken",
    "synthesize",
]
