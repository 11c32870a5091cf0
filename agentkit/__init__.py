"""agentkit: voice and text agents on the OpenAI / Azure OpenAI Realtime API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
