"""Start the LocalExecutor's forkserver when the scheduler starts, not when the first task runs.

The platform runs the scheduler with ``[scheduler] mp_start_method = forkserver`` and
``[core] mp_forkserver_preload`` naming openmetadata-ingestion's modules
(``openmetadata_platform.ingestion.preload``): LocalExecutor workers fork from a server that
has imported them once, and every task process forks from a worker, so no task pays the
import (seconds) again. Python starts that server lazily, on the first worker, so the first
task after a scheduler start would still wait for the preload. This listener's
``on_starting`` hook (called when the scheduler's ``Job`` is created, before its executor
starts) calls ``multiprocessing.forkserver.ensure_running()``: the server is spawned
(fork + exec, safe in a threaded process) and imports in the background while the scheduler
starts; nothing here blocks or touches the network.

Only a ``Job`` (scheduler, dag-processor, triggerer) whose multiprocessing start method is
``forkserver`` acts: that is the scheduler when ``[scheduler] mp_start_method`` is set (Airflow
applies it in the scheduler command only, ``airflow.utils.process_utils
.set_component_mp_start_method``).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

log = logging.getLogger(__name__)


class _ForkserverWarmup:
    @hookimpl
    def on_starting(self, component) -> None:
        """Spawn the forkserver (and its preload) now when this is the scheduler and it uses one."""
        # Task processes call this hook too (component: the task runner) and inherit the
        # forkserver start method from their worker: they must not start servers of their own.
        if type(component).__name__ != "Job" or multiprocessing.get_start_method(allow_none=True) != "forkserver":
            return
        try:
            multiprocessing.forkserver.ensure_running()
            log.info("forkserver started ahead of the first task (preloading in the background)")
        except OSError as exc:  # the executor starts it on demand anyway
            log.warning("could not start the forkserver ahead of time: %s", exc)


class ForkserverWarmupPlugin(AirflowPlugin):
    """Registers the listener above."""

    name = "platform_forkserver_warmup"
    listeners = [_ForkserverWarmup()]
