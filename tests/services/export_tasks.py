"""Stand-ins for `worker.run_export` that queue tests hand to real spawned worker processes (pickled by this
module's path, so they live in a module of their own rather than in a test module)."""

from __future__ import annotations

import os

from services.exports.worker import run_export


def die_on_first_try(job_id: str, *, attempt: int, **kwargs: object) -> str:
    """The worker process dies on a job's first try, as one killed or out of memory does; the next try runs it."""
    if attempt == 1:
        os._exit(1)
    return run_export(job_id, attempt=attempt, **kwargs)  # type: ignore[arg-type]
