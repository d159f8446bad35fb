"""Finishing steps a process left unfinished: run by every instance's sweep.

* Listed steps (on any instance's pending list for longer than the takeover time) are claimed
  by exactly one sweeper and finished: events published again, counts added only where the
  counter document lacks the step's mark, follow-ups applied. A step whose document write
  never happened was never answered: it is void, and its record is deleted to free the version.
* A dead instance (not seen for the takeover time) may have created documents above its
  release mark: each that exists is finished from its `opening`; then the instance is forgotten.
* This instance's own fresh documents held longer than the takeover time are finished the same way.

A process frozen for longer than the takeover time while finishing a step could race its
sweeper and count that step twice; keep the takeover time well above any pause you expect.
"""

from collections.abc import Mapping

from pymongo.errors import DuplicateKeyError

from shared.journal.journal import Journal
from shared.journal.records import listed_step, unpack

Marks = list[tuple[str, str]]  # (counter document, mark) set while finishing
BUSY = -1  # another sweeper holds the step's claim: leave it listed, to be looked at again
HELD, FINISHED = "held", "finished"  # what `_claim` answers instead of a claim of one's own


def sweep(journal: Journal) -> int:
    """Finish what is left behind; returns how many steps were finished."""
    now = journal.clock()
    cutoff = now - journal.takeover
    journal.instances.update_one({"_id": journal.instance}, {"$set": {"seen_at": now}}, upsert=True)
    finished = _own_held(journal, cutoff)
    for instance in list(journal.instances.find({})):
        for name, since in (instance.get("pending") or {}).items():
            if since <= cutoff and not _still_publishing_here(journal, instance["_id"], name):
                finished += _pending(journal, instance["_id"], name)
        if instance["_id"] != journal.instance and instance["seen_at"] <= cutoff:
            finished += _dead_block(journal, instance)
    return finished


def _still_publishing_here(journal: Journal, instance_id: str, name: str) -> bool:
    """A step this instance is still publishing or finishing (the broker was down): not the sweep's."""
    return instance_id == journal.instance and listed_step(name)[0] in journal.underway


def _pending(journal: Journal, instance_id: str, name: str) -> int:
    """Finish or void one listed step, then take it off the list; a step whose claim another
    sweeper holds stays listed (that sweeper may die before it is done)."""
    key, attempt = listed_step(name)
    marks: Marks = []
    done = _listed(journal, instance_id, key, attempt, marks)
    if done == BUSY:
        return 0
    journal.release(instance_id, [name])
    journal.drop_marks(marks)
    return done


def _listed(journal: Journal, instance_id: str, key: str, attempt: str, marks: Marks) -> int:
    """1 when finished here, 0 when voided or not this attempt's, `BUSY` when claimed elsewhere."""
    step = journal.steps.find_one({"_id": key})
    if step is None or step.get("writer") != instance_id or step.get("attempt") != attempt:
        return 0
    claim = _claim(journal, key, step["at"].isoformat())
    if claim in (HELD, FINISHED):
        return BUSY if claim == HELD else 0
    doc = journal.db[step["collection"]].find_one({"_id": step["doc_id"]}, {"version": 1})
    if doc is None or doc.get("version", 0) < step["version"]:
        journal.steps.delete_one({"_id": key, "attempt": attempt})
        return 0
    _finish(journal, key, step, marks)
    _finished(journal, claim)
    return 1


def _opening(journal: Journal, collection: str, doc_id: str, writer: str, marks: Marks) -> int:
    """A fresh document's first step: 1 when finished here, 0 when there is nothing to finish,
    `BUSY` when claimed elsewhere."""
    doc = journal.db[collection].find_one({"_id": doc_id}, {"opening": 1})
    opening = unpack((doc or {}).get("opening"))
    if opening.get("writer") != writer:
        return 0
    key = f"{collection}:{doc_id}:1"
    claim = _claim(journal, key, writer)
    if claim in (HELD, FINISHED):
        return BUSY if claim == HELD else 0
    _finish(journal, key, opening, marks)
    _finished(journal, claim)
    return 1


def _dead_block(journal: Journal, instance: Mapping) -> int:
    """Finish the documents a dead instance created above its release mark, then forget it
    (not while one of them is claimed elsewhere, or while it still lists steps)."""
    finished, marks, busy = 0, [], False
    collection = instance.get("collection")
    for seq in range(instance.get("released", 0) + 1, instance.get("upto", 0) + 1):
        done = _opening(journal, collection, f"{instance['prefix']}{seq:08x}", instance["_id"], marks)
        busy |= done == BUSY
        finished += max(done, 0)
    still = journal.instances.find_one({"_id": instance["_id"]}, {"pending": 1}) or {}
    if not busy and not still.get("pending"):
        journal.instances.delete_one({"_id": instance["_id"]})
    journal.drop_marks(marks)
    return finished


def _own_held(journal: Journal, cutoff) -> int:
    finished, marks, upto = 0, [], 0
    for seq, since in list(journal.held.items()):
        key = f"{journal.fresh_collection}:{journal.prefix}{seq:08x}:1"
        if since <= cutoff and key not in journal.underway:
            done = _opening(journal, journal.fresh_collection, f"{journal.prefix}{seq:08x}", journal.instance, marks)
            if done == BUSY:
                continue
            finished += done
            journal.held.pop(seq, None)
            upto = max(upto, seq)
    before = journal.released
    if journal.release_mark() != before or finished:
        journal.release(journal.instance, [], journal.released)
    journal.drop_marks(marks, upto)
    return finished


def _finish(journal: Journal, key: str, record: Mapping, marks: Marks) -> None:
    """Publish, count where the counter document lacks this step's mark, follow up; the marks
    set go into `marks`, to be dropped once the step is released."""
    for event in record["events"]:
        journal.publish(event)
    mark = f"sweep:{key}"
    for counter_id, paths in journal.expand(record["counts"]).items():
        if not journal.marked(counter_id, key):
            journal.count(counter_id, paths, mark, [key])
            marks.append((counter_id, mark))
    journal.follow(record.get("follow") or [])


def _claim(journal: Journal, key: str, stamp: str) -> str:
    """Exactly one sweeper wins: claims are unique per step, stamp and attempt. Returns the
    winner's claim id, `FINISHED` when a sweeper finished the step already, or `HELD` while
    another holds it; a claim older than the takeover time and not finished (its sweeper
    died) gives way to the next attempt."""
    for attempt in range(100):
        claim_id = f"{key}@{stamp}#{attempt}"
        try:
            journal.claims.insert_one({"_id": claim_id, "at": journal.clock()})
        except DuplicateKeyError:
            claim = journal.claims.find_one({"_id": claim_id}) or {}
            if claim.get("finished"):
                return FINISHED
            if claim and claim["at"] > journal.clock() - journal.takeover:
                return HELD
            continue
        return claim_id
    return HELD


def _finished(journal: Journal, claim_id: str) -> None:
    """A step finished under this claim is never finished again by a later sweep."""
    journal.claims.update_one({"_id": claim_id}, {"$set": {"finished": True}})
