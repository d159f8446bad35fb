"""Eventlet must patch the standard library before anything imports it."""

import eventlet  # noqa: E402

import shared  # noqa: F401 - quiets eventlet's deprecation notice first

eventlet.monkey_patch()
