"""What a database holds, as one digest: equal before and after a call that changed nothing."""

import hashlib
import json
import time

HEARTBEAT = {"seen_at": 0}  # journal instances say they are alive every sweep; that is not data


def settled_digest(db, journal, pause: float = 0.2) -> str:
    """The digest of every document of every collection, once the service has finished every
    step it answered for (counts and releases follow the answer by a fraction of a second)
    and nothing is changing any more."""
    previous = None
    for _ in range(100):
        if not journal.idle:
            time.sleep(0.05)
            continue
        current = digest(db)
        if current == previous:
            return current
        previous = current
        time.sleep(pause)
    raise AssertionError(f"the database {db.name} kept changing")


def digest(db) -> str:
    hashed = hashlib.sha256()
    for name in sorted(db.list_collection_names()):
        hashed.update(name.encode())
        for doc in sorted(db[name].find({}, HEARTBEAT if name == "journal_instances" else None),
                          key=lambda d: str(d["_id"])):
            hashed.update(json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False).encode())
    return hashed.hexdigest()
