"""Linli's errors as nameko carries them: every class of `shared.errors`, and each subclass a
service declares, deserialises back to itself in a caller that has imported it.

Imported by `shared.actor`, which every service and every caller uses to sign its calls.
"""

from nameko.exceptions import deserialize_to_instance

from shared.errors import on_each_error_class

on_each_error_class(deserialize_to_instance)
