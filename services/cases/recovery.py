"""Finishing steps a process left unfinished: run by every instance's sweep.

* Pending steps (listed in any instance's document for longer than the takeover time) are
  claimed by exactly one sweeper and finished: events published again, counts added only
  where the counter document lacks the step's mark. A later step whose case write never
  happened was never answered: it is void, and its document is deleted to free the version.
* A dead instance (not seen for the takeover time) may have opened cases above its release
  mark: each that exists is finished from its `opening`; then the instance is forgotten.
* This instance's own fresh cases held longer than the takeover time are finished the same way.

A process frozen for longer than the takeover time while finishing a step could race its
sweeper and count that step twice; keep the takeover time well above any pause you expect.
"""

from collections.abc import Mapping

from pymongo.errors import DuplicateKeyError

from services.cases import counting
from services.cases.journal import Journal, unpack


def sweep(journal: Journal) -> int:
    """Finish what is left behind; returns how many steps were finished."""
    now = journal.clock()
    cutoff = now - journal.takeover
    journal.instances.update_one({"_id": journal.instance}, {"$set": {"seen_at": now}}, upsert=True)
    finished = _own_held(journal, cutoff)
    for instance in list(journal.instances.find({})):
        for key, since in (instance.get("pending") or {}).items():
            if since <= cutoff:
                finished += _pending(journal, instance["_id"], key)
        if instance["_id"] != journal.instance and instance["seen_at"] <= cutoff:
            finished += _dead_block(journal, instance)
    return finished


Marks = list[tuple[str, str]]  # (counter document, mark) set while finishing


BUSY = -1  # another sweeper holds the step's claim: leave it listed, to be looked at again


def _pending(journal: Journal, instance_id: str, key: str) -> int:
    """Finish or void one listed step, then take it off the list; a step whose claim another
    sweeper holds stays listed (that sweeper may die before it is done). `key` is the step's
    key with the listing attempt's tag."""
    step_key = key.split("~", 1)[0]
    case_id, version = step_key.rsplit(":", 1)
    marks: Marks = []
    done = (_opening(journal, case_id, instance_id, marks) if version == "1"
            else _later_step(journal, instance_id, step_key, marks))
    if done == BUSY:
        return 0
    journal.release(instance_id, [key])
    journal.drop_marks(marks)
    return done


def _opening(journal: Journal, case_id: str, writer: str, marks: Marks) -> int:
    """1 when finished here, 0 when there is nothing to finish, `BUSY` when claimed elsewhere."""
    case = journal.cases.find_one({"_id": case_id}, {"opening": 1})
    opening = unpack((case or {}).get("opening"))
    if opening.get("writer") != writer:
        return 0
    claim = _claim(journal, f"{case_id}:1", writer)
    if claim in (HELD, FINISHED):
        return BUSY if claim == HELD else 0
    _finish(journal, f"{case_id}:1", case_id, opening, marks)
    _finished(journal, claim)
    return 1


def _later_step(journal: Journal, instance_id: str, key: str, marks: Marks) -> int:
    """1 when finished here, 0 when voided or not this instance's, `BUSY` when claimed elsewhere."""
    step = journal.steps.find_one({"_id": key})
    if step is None or step.get("writer") != instance_id:
        return 0
    claim = _claim(journal, key, step["at"].isoformat())
    if claim in (HELD, FINISHED):
        return BUSY if claim == HELD else 0
    case = journal.cases.find_one({"_id": step["case_id"]}, {"version": 1})
    if case is None or case["version"] < step["version"]:
        journal.steps.delete_one({"_id": key})
        return 0
    _finish(journal, key, step["case_id"], step, marks)
    _finished(journal, claim)
    return 1


def _dead_block(journal: Journal, instance: Mapping) -> int:
    """Finish the openings a dead instance left above its release mark, then forget it (not
    while one of them is claimed elsewhere, or while it still lists steps)."""
    finished, marks, busy = 0, [], False
    for seq in range(instance.get("released", 0) + 1, instance.get("upto", 0) + 1):
        done = _opening(journal, f"{instance['prefix']}{seq:08x}", instance["_id"], marks)
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
        if since <= cutoff:
            done = _opening(journal, f"{journal.prefix}{seq:08x}", journal.instance, marks)
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


def _finish(journal: Journal, key: str, case_id: str, record: Mapping, marks: Marks) -> None:
    """Publish, count where the counter document lacks this step's mark, watch; the marks
    set go into `marks`, to be dropped once the step is released."""
    for event in record["events"]:
        journal.publish(event)
    mark = f"sweep:{key}"
    for counter_id, paths in counting.expand(record["counts"]).items():
        if not journal.marked(counter_id, key):
            journal.count(counter_id, paths, mark, [key])
            marks.append((counter_id, mark))
    journal.watch({**record, "case_id": case_id})


HELD, FINISHED = "held", "finished"  # what `_claim` answers instead of a claim of one's own


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
