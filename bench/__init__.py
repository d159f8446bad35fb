"""Benchmarks that print figures; the RPC clients here need eventlet's patching first."""

import eventlet  # noqa: E402

import shared  # noqa: F401 - quiets eventlet's deprecation notice

eventlet.monkey_patch()
