"""Residents' personal numbers: masked unless the actor's role needs them."""

from collections.abc import Iterable


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_id_number(number: str | None) -> str | None:
    if not number:
        return number
    return number[:4] + "*" * max(len(number) - 8, 0) + number[-4:] if len(number) > 8 else "*" * len(number)


def sees_numbers(role: str, unmask_roles: Iterable[str], who: str | None = None) -> bool:
    """Whether the caller sees numbers unmasked: their role is listed, or `<role>:<who>` is (e.g.
    `system:notifications`: that service acting as itself, and no other system caller)."""
    allowed = set(unmask_roles)
    return role in allowed or (who is not None and f"{role}:{who}" in allowed)
