"""Ids that derive from what they name, so that two callers creating the same thing at once
(or one caller repeating a request) meet on one document instead of making two."""

import hashlib
import hmac


def derived_id(prefix: str, *parts: str) -> str:
    """The same parts always give the same id (for parts that are not personal data)."""
    return f"{prefix}_{hashlib.sha1('|'.join(parts).encode()).hexdigest()[:20]}"


def person_id_for(key: str, phone: str) -> str:
    """One person per phone. Keyed (`PERSON_ID_KEY`), so that nobody who sees a person id
    can find the phone number by hashing every mobile number."""
    return f"person_{hmac.new(key.encode(), phone.encode(), hashlib.sha256).hexdigest()[:24]}"
