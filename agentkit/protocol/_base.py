"""The base class every protocol model derives from: tolerant, typed, cheap."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    """A protocol value: unknown fields are ignored, never an error (servers add fields all the time)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, protected_namespaces=())
