"""Every unexpected error of a worker logged once, with its call id and traceback."""

import logging

from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)


class ErrorLog(DependencyProvider):
    """Logs at ERROR each worker, of any entrypoint, that ended in an exception its entrypoint
    does not list in `expected_exceptions`; workers get nothing from it."""

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        if exc_info is None or isinstance(exc_info[1], worker_ctx.entrypoint.expected_exceptions):
            return
        error = exc_info[1]
        log.error("unexpected error in call %s (called by %s): %s: %s", worker_ctx.call_id,
                  worker_ctx.immediate_parent_call_id or "-", type(error).__name__, error, exc_info=exc_info)
