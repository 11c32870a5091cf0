"""Shared values for tracing tests."""

from __future__ import annotations

from agentkit.observer import SessionInfo
from agentkit.protocol import Dialect

INFO = SessionInfo(
    agent_name="support",
    provider="azure.ai.openai",
    model="gpt-realtime",
    session_id="sess_local_1",
    dialect=Dialect.GA,
    server_session_id="sess_server_9",
)
