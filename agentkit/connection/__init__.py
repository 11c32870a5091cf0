"""Getting connected: endpoints (Azure GA/preview, OpenAI, custom), authentication (keys, Entra ID,
ephemeral client secrets) and the WebSocket transport that carries canonical events."""

from agentkit.connection.auth import AZURE_SCOPE, Auth, Credentials, KeyAuth, KeyPlacement, TokenAuth
from agentkit.connection.client_secrets import ClientSecret, mint_client_secret
from agentkit.connection.endpoint import DEFAULT_OPENAI_MODEL, Connecting, Endpoint, EnvProvider, Provider
from agentkit.connection.errors import (
    CallError,
    ClientSecretError,
    ConnectionClosed,
    EndpointError,
    HandshakeError,
    ServiceError,
)
from agentkit.connection.secrets import Secret, redact
from agentkit.connection.transport import MAX_FRAME_BYTES, RealtimeConnection, TransportOptions
from agentkit.connection.urls import VOICE_LIVE_API_VERSION
from agentkit.connection.voice_live import VOICE_LIVE_SCOPE, VoiceLiveAgent

__all__ = [
    "AZURE_SCOPE",
    "DEFAULT_OPENAI_MODEL",
    "MAX_FRAME_BYTES",
    "VOICE_LIVE_API_VERSION",
    "VOICE_LIVE_SCOPE",
    "Auth",
    "CallError",
    "ClientSecret",
    "ClientSecretError",
    "Connecting",
    "ConnectionClosed",
    "Credentials",
    "Endpoint",
    "EndpointError",
    "EnvProvider",
    "HandshakeError",
    "KeyAuth",
    "KeyPlacement",
    "Provider",
    "RealtimeConnection",
    "Secret",
    "ServiceError",
    "TokenAuth",
    "TransportOptions",
    "VoiceLiveAgent",
    "mint_client_secret",
    "redact",
]
