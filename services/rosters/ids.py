"""Person ids that derive from the phone, so that two callers registering one phone at once
meet on one person instead of making two."""

import hashlib
import hmac


def person_id_for(key: str, phone: str) -> str:
    """One person per phone. Keyed (`PERSON_ID_KEY`), so that nobody who sees a person id
    can find the phone number by hashing every mobile number."""
    return f"person_{hmac.new(key.encode(), phone.encode(), hashlib.sha256).hexdigest()[:24]}"
