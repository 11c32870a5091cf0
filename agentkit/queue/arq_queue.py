"""`ArqToolQueue`: the client side of queued tools, on arq and the relay's Redis.

Why arq rather than RQ: arq is asyncio-native on redis-py's asyncio client, so the relay queues a
job and waits for it without threads, and its worker runs async tools on its own loop; RQ's API and
workers are synchronous (a fork per job). Both keep jobs in Redis, which the relay already needs.

One job per call, its id derived from the call id (`job_id_for`): queuing the same call again is a
no-op, and an instance that resumes the conversation finds the job without any other record. Jobs
are JSON on the wire (never pickle: whoever can write to Redis must not be able to run code here).
A worker tries a job at most once, so a tool never runs twice; a job that is not started before
the call's timeout is never started (`_expires`), and a call answered without its result (timed
out, cancelled) aborts its job.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import time
from typing import Any

import anyio

from agentkit.tools.outcome import ToolOutcome, ToolStatus
from agentkit.tools.tool import Tool

try:
    from arq.connections import ArqRedis
    from arq.jobs import Job, JobResult, JobStatus, ResultNotFound
    from redis import exceptions as redis_errors
    from redis.asyncio import ConnectionPool
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("agentkit's job queue needs arq: pip install 'agentkit[queue]'") from exc

logger = logging.getLogger("agentkit.queue")

REDIS_URL_ENV = "AGENTKIT_REDIS_URL"
DEFAULT_QUEUE = "agentkit:tools"
DEFAULT_TIMEOUT = 300.0
"""Seconds a queued call may take when neither the tool nor the agent sets a timeout."""
_FUNCTION_PREFIX = "agentkit.tool:"
_STATUSES: frozenset[str] = frozenset(
    ("ok", "invalid_arguments", "tool_error", "error", "timeout", "cancelled", "unknown_tool", "blocked")
)
_REDIS_DOWN = (redis_errors.RedisError, OSError, asyncio.TimeoutError)


def job_id_for(call_id: str) -> str:
    """The one job a call can have (model call ids are unique, like `call_` + random)."""
    return f"agentkit-call:{call_id}"


def function_name(tool_name: str) -> str:
    """The arq function a worker registers for a tool."""
    return f"{_FUNCTION_PREFIX}{tool_name}"


def dump_json(value: Any) -> bytes:
    """arq's serializer: JSON, with anything else (an exception arq records) as its text."""
    return json.dumps(value, default=lambda other: f"{type(other).__name__}: {other}").encode("utf-8")


def load_json(data: bytes) -> Any:
    return json.loads(data)


class ArqToolQueue:
    """Runs calls as arq jobs on Redis (`url`, else `AGENTKIT_REDIS_URL`, read on first use).

    `queue_name` must match the workers' (`agentkit worker --queue`). `default_timeout` applies to a
    tool with no timeout of its own (nor an agent `tool_timeout`); `poll_seconds` is how often a
    waiting call looks for its result.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        queue_name: str = DEFAULT_QUEUE,
        default_timeout: float = DEFAULT_TIMEOUT,
        poll_seconds: float = 0.2,
    ) -> None:
        if not default_timeout > 0 or not poll_seconds > 0:
            raise ValueError("default_timeout and poll_seconds must be positive")
        self._url = url
        self.queue_name = queue_name
        self.default_timeout = default_timeout
        self.poll_seconds = poll_seconds
        self._redis: tuple[asyncio.AbstractEventLoop, ArqRedis] | None = None

    def __repr__(self) -> str:  # never the URL: it may hold a password
        return f"ArqToolQueue(queue_name={self.queue_name!r})"

    @property
    def url(self) -> str | None:
        return self._url if self._url is not None else os.environ.get(REDIS_URL_ENV) or None

    def redis(self) -> ArqRedis:
        """This event loop's client (a client is bound to the loop it was made on)."""
        loop = asyncio.get_running_loop()
        if self._redis is not None and self._redis[0] is loop:
            return self._redis[1]
        client = self.connect()
        self._redis = (loop, client)
        return client

    def connect(self) -> ArqRedis:
        """A new client (a worker owns and closes its own); LookupError when no URL is set."""
        url = self.url
        if url is None:
            raise LookupError(f"no Redis for the job queue: set {REDIS_URL_ENV} or pass url=")
        pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return ArqRedis(
            connection_pool=pool,
            job_serializer=dump_json,
            job_deserializer=load_json,
            default_queue_name=self.queue_name,
        )

    def _timeout(self, timeout: float | None) -> float:
        return self.default_timeout if timeout is None or math.isinf(timeout) else timeout

    async def run(self, tool: Tool, call_id: str, arguments: str, limit: float | None) -> ToolOutcome:
        seconds = self._timeout(limit)
        try:
            redis = self.redis()
            await redis.enqueue_job(
                function_name(tool.name),
                call_id,
                arguments,
                seconds,
                _job_id=job_id_for(call_id),
                _queue_name=self.queue_name,
                _expires=seconds,
            )  # None when the call already has a job: then that job is the one awaited
        except LookupError as exc:
            return ToolOutcome(call_id, tool.name, f"tool {tool.name} could not be queued: {exc}", "error")
        except _REDIS_DOWN as exc:
            logger.warning("queue: call %s of %s not queued: %s", call_id, tool.name, type(exc).__name__)
            return _unavailable(tool.name, call_id, "could not be queued", exc)
        return await self._await(tool, call_id, arguments, seconds, time.time() + seconds)

    async def recover(self, tool: Tool, call_id: str, arguments: str) -> ToolOutcome:
        try:
            job = self._job(call_id)
            info = await job.info()
        except (LookupError, *_REDIS_DOWN) as exc:
            return _unavailable(tool.name, call_id, "has no result: the job queue could not be reached", exc)
        args = list(info.args) if info is not None else []
        if info is None or info.function != function_name(tool.name) or args[:2] != [call_id, arguments]:
            reason = (
                "the server running it stopped, and the job queue holds no result for it (it was "
                "never queued, or its result expired); it was not retried"
            )
            return ToolOutcome.cancelled(call_id, tool.name, reason)
        seconds = args[2] if len(args) == 3 and isinstance(args[2], (int, float)) else self.default_timeout
        deadline = info.enqueue_time.timestamp() + seconds
        return await self._await(tool, call_id, arguments, seconds, deadline)

    def _job(self, call_id: str) -> Job:
        return Job(job_id_for(call_id), self.redis(), _queue_name=self.queue_name, _deserializer=load_json)

    async def _await(
        self, tool: Tool, call_id: str, arguments: str, seconds: float, deadline: float
    ) -> ToolOutcome:
        """The job's outcome, by `deadline` (wall clock: it may have been queued by another host);
        a call answered without it aborts the job, so that it never finishes unseen."""
        job = self._job(call_id)
        outcome: ToolOutcome | None = None
        try:
            with anyio.move_on_after(max(deadline - time.time(), 0.0)):
                outcome = await self._poll(job, tool.name, call_id)
        finally:
            if outcome is None:  # timed out or cancelled: the job must not run on
                with anyio.CancelScope(shield=True), anyio.move_on_after(2):
                    await _abort(job)
        if outcome is None:
            error = TimeoutError(f"tool {tool.name} timed out after {seconds:g}s")
            return ToolOutcome(call_id, tool.name, f"{error} (queued job)", status="timeout", error=error)
        return outcome

    async def _poll(self, job: Job, name: str, call_id: str) -> ToolOutcome:
        failures = 0
        while True:
            try:
                result = await job.result_info()
                if result is not None:
                    return _outcome(result, name, call_id)
                if await job.status() is JobStatus.not_found:
                    return ToolOutcome(
                        call_id, name, f"tool {name} failed: the job queue lost its job", status="error"
                    )
                failures = 0
            except _REDIS_DOWN as exc:
                failures += 1
                if failures >= 3:
                    return _unavailable(name, call_id, "has no result: the job queue became unreachable", exc)
            await anyio.sleep(self.poll_seconds)


def _outcome(result: JobResult, name: str, call_id: str) -> ToolOutcome:
    value = result.result
    if result.success and isinstance(value, dict):
        status, output = value.get("status"), value.get("output")
        if isinstance(status, str) and status in _STATUSES and isinstance(output, str):
            checked: ToolStatus = status  # type: ignore[assignment]
            return ToolOutcome(call_id, name, output, status=checked)
    text = str(value) if value is not None else "no result"
    if text.startswith("CancelledError"):
        return ToolOutcome.cancelled(call_id, name, "its job was aborted")
    return ToolOutcome(call_id, name, f"tool {name} failed on the job queue: {text[:300]}", status="error")


def _unavailable(name: str, call_id: str, what: str, exc: BaseException) -> ToolOutcome:
    return ToolOutcome(
        call_id, name, f"tool {name} {what} (the job queue is unavailable)", "error", error=exc
    )


async def _abort(job: Job) -> None:
    """Best effort: a queued job is then never started, a running one is cancelled."""
    try:
        await job.abort(timeout=0, poll_delay=0.05)
    except (ResultNotFound, asyncio.TimeoutError, *_REDIS_DOWN):
        pass
