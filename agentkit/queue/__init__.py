"""Tools that outlive an instance: calls run as jobs on arq (Redis), by `agentkit worker` processes.

`pip install 'agentkit[queue]'`. Declare a tool with `@tool(queue=ArqToolQueue())`; run the workers
with `agentkit worker MODULE:AGENT`. See docs/scaling.md. (Exports load on first use, so that the
`agentkit` command works without arq installed.)
"""

from typing import TYPE_CHECKING

from agentkit._lazy import lazy_exports

if TYPE_CHECKING:
    from agentkit.queue.arq_queue import ArqToolQueue as ArqToolQueue
    from agentkit.queue.arq_queue import job_id_for as job_id_for
    from agentkit.queue.worker import build_worker as build_worker

__all__, __getattr__ = lazy_exports(
    __name__,
    {
        "arq_queue": ("ArqToolQueue", "job_id_for"),
        "worker": ("build_worker",),
    },
)
