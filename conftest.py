"""Eventlet must patch the standard library before anything imports it."""

import shared  # noqa: F401 - quiets eventlet's deprecation notice first

import eventlet  # noqa: E402

eventlet.monkey_patch()
