"""What a running tool call can see: its ids, the session, the user's dependencies, progress."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

DepsT = TypeVar("DepsT")

_LOGGER = logging.getLogger("agentkit.tools")


class ProgressHook(Protocol):
    """Set by the session: forwards a tool's progress note to the application (and traces)."""

    def __call__(
        self, context: ToolContext[Any], message: str, data: dict[str, Any], *, speak: bool = False
    ) -> Awaitable[None]: ...


@dataclass(frozen=True)
class ToolContext(Generic[DepsT]):
    """Injected into any tool parameter annotated `ToolContext` (or `ToolContext[Deps]`).

    Such a parameter is never part of the schema the model sees. Sync tools run in a worker
    thread; they report progress with `anyio.from_thread.run(ctx.report_progress, "...")`.
    """

    call_id: str
    tool_name: str
    deps: DepsT
    session: Any = None
    logger: logging.Logger = _LOGGER
    progress_hook: ProgressHook | None = field(default=None, repr=False)

    async def report_progress(self, message: str, **data: Any) -> None:
        """Tell the application how the call is going; a failing hook never fails the tool."""
        await self.progress(message, **data)

    async def progress(self, message: str, *, speak: bool = False, **data: Any) -> None:
        """Tell the application how the call is going (a `ToolProgress` event); with `speak`, the
        agent also says it to the user, out of band, once the line is quiet. A failing hook never
        fails the tool."""
        if self.progress_hook is None:
            return
        try:
            if speak:
                await self.progress_hook(self, message, data, speak=True)
            else:  # hooks written before `speak` existed take three arguments
                await self.progress_hook(self, message, data)
        except Exception:
            self.logger.exception("progress hook failed for tool %s (call %s)", self.tool_name, self.call_id)
