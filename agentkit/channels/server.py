"""`AsgiServer`: serve an ASGI app (phone routes, the relay) on uvicorn, for the example bot and tests.

uvicorn is optional (`pip install 'agentkit[phone]'`); its WebSocket message limit is set from the
caller's limit rather than uvicorn's 16 MiB default, so a huge frame is refused before it is buffered.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import TaskGroup

from .asgi import AsgiApp

logger = logging.getLogger("agentkit.channels")

UVICORN_MISSING = (
    "serving phone routes needs uvicorn: pip install uvicorn (or install agentkit with the 'phone' extra)"
)


class AsgiServer:
    """`async with AsgiServer(app, port=0) as server:` serves `app` until the block ends."""

    def __init__(
        self, app: AsgiApp, host: str = "127.0.0.1", port: int = 0, *, ws_max_size: int = 256 * 1024
    ) -> None:
        try:
            import uvicorn
        except ImportError:
            raise RuntimeError(UVICORN_MISSING) from None
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws_max_size=ws_max_size,
            ws_ping_interval=None,
        )
        server: Any = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # older uvicorn: the host program owns the signals
        self._server = server
        self.host = host
        self._tg: TaskGroup | None = None

    @property
    def port(self) -> int:
        port: int = self._server.servers[0].sockets[0].getsockname()[1]
        return port

    @property
    def http_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def __aenter__(self) -> AsgiServer:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._server.serve)
        with anyio.fail_after(15):
            while not self._server.started:
                if self._server.should_exit:
                    raise OSError(f"could not serve on {self.host}")
                await anyio.sleep(0.01)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        assert self._tg is not None
        await self._tg.__aexit__(exc_type, exc, tb)
