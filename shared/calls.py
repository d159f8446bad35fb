"""One RPC to another service with a timeout: a service waiting on another never hangs."""

from typing import Any

import eventlet

from shared.errors import LinliError


def call(proxy: Any, service: str, method: str, timeout: float, field: str, unavailable: type[LinliError],
         **kwargs) -> Any:
    """`proxy.method(**kwargs)`; `unavailable` naming `field` when it is not answered in time."""
    try:
        with eventlet.Timeout(timeout):
            return getattr(proxy, method).call_async(**kwargs).result()
    except eventlet.Timeout:
        raise unavailable(f"{service} did not answer {method} within {timeout:g}s",
                          [{"field": field, "reason": f"{service} unavailable; nothing was changed"}]) from None
