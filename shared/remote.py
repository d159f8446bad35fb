"""Linli's errors as nameko carries them: every class of `shared.errors`, and each subclass a
service declares, deserialises back to itself in a caller that has imported it.

nameko sends an error's arguments, `message` and `details` (each with its `reason_zh`), and
rebuilds it from them; `message_zh` is made from the code and those details, so it reads the
same on both sides. A caller without the class gets `RemoteError`, whose value is `str(error)`:
the JSON `{code, message, message_zh, details}`.

Imported by `shared.actor`, which every service and every caller uses to sign its calls.
"""

from nameko.exceptions import deserialize_to_instance

from shared.errors import on_each_error_class

on_each_error_class(deserialize_to_instance)
