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

from shared.journal.counters import Marks
from shared.journal.journal import Journal
from shared.journal.records import listed_step, step_key, unpack

BUSY = -1  # another sweeper holds the step's claim: leave it listed, to be looked at again
HELD, FINISHED = "held", "finished"  # what `Claims.take` answers instead of a claim of one's own


def sweep(journal: Journal) -> int:
    """Finish what is left behind; returns how many steps were finished."""
    return Sweep(journal).run()


class Sweep:
    def __init__(self, journal: Journal):
        self.journal = journal
        self.ledger = journal.ledger
        self.claims = Claims(journal.db["journal_claims"], journal)
        self.cutoff = journal.clock() - journal.takeover

    def run(self) -> int:
        self.ledger.heartbeat()
        finished = self._own_held()
        for page in self.ledger.pages():
            for name, since in (page.get("pending") or {}).items():
                if since <= self.cutoff and self._left_to_the_sweep(page["_id"], name):
                    finished += self._pending(page["_id"], name)
            if page["_id"] != self.ledger.instance and page["seen_at"] <= self.cutoff:
                finished += self._dead_block(page)
        return finished

    def _left_to_the_sweep(self, instance_id: str, name: str) -> bool:
        """Another instance's listing, or one of this instance's that its own pipeline has let
        go of without releasing it. The pipeline releases a step before letting it go, so a
        step seen let go and then still listed (read again now, not from the snapshot the
        sweep began with) is one it gave up on, and it never touches it again."""
        if instance_id != self.ledger.instance:
            return True
        return not self.journal.is_underway(listed_step(name)[0]) and self.ledger.lists(name)

    def _pending(self, instance_id: str, name: str) -> int:
        """Finish or void one listed step, then take it off the list; a step whose claim another
        sweeper holds stays listed (that sweeper may die before it is done)."""
        key, attempt = listed_step(name)
        marks: Marks = []
        done = self._listed(instance_id, key, attempt, marks)
        if done == BUSY:
            return 0
        self.ledger.write_release(instance_id, [name])
        self.journal.counters.drop(marks, self.ledger.released)
        return done

    def _listed(self, instance_id: str, key: str, attempt: str, marks: Marks) -> int:
        """1 when finished here, 0 when voided or not this attempt's, `BUSY` when claimed elsewhere."""
        record = self.journal.writer.record(key)
        if record is None or record.get("writer") != instance_id or record.get("attempt") != attempt:
            return 0
        claim = self.claims.take(key, record["at"].isoformat())
        if claim in (HELD, FINISHED):
            return BUSY if claim == HELD else 0
        doc = self.journal.document(record["collection"], record["doc_id"], {"version": 1})
        if doc is None or doc.get("version", 0) < record["version"]:
            self.journal.writer.void(key, attempt)
            return 0
        marks += self.journal.finish_again(key, record)
        self.claims.finished(claim)
        return 1

    def _opening(self, collection: str, doc_id: str, writer: str, marks: Marks) -> int:
        """A fresh document's first step: 1 when finished here, 0 when there is nothing to
        finish, `BUSY` when claimed elsewhere."""
        opening = unpack((self.journal.document(collection, doc_id, {"opening": 1}) or {}).get("opening"))
        if opening.get("writer") != writer:
            return 0
        key = step_key(collection, doc_id, 1)
        claim = self.claims.take(key, writer)
        if claim in (HELD, FINISHED):
            return BUSY if claim == HELD else 0
        marks += self.journal.finish_again(key, opening)
        self.claims.finished(claim)
        return 1

    def _dead_block(self, page: Mapping) -> int:
        """Finish the documents a dead instance created above its release mark, then forget it
        (not while one of them is claimed elsewhere, or while it still lists steps)."""
        finished, marks, busy = 0, [], False
        for seq in range(page.get("released", 0) + 1, page.get("upto", 0) + 1):
            done = self._opening(page.get("collection"), self.ledger.fresh_id(seq, page["prefix"]), page["_id"], marks)
            busy |= done == BUSY
            finished += max(done, 0)
        if not busy and not self.ledger.still_listing(page["_id"]):
            self.ledger.forget(page["_id"])
        self.journal.counters.drop(marks, self.ledger.released)
        return finished

    def _own_held(self) -> int:
        """This instance's fresh documents held longer than the takeover time (their step
        failed after the write, or its finishing did)."""
        finished, marks, upto = 0, [], 0
        for seq in self.ledger.held_since(self.cutoff):
            if self.journal.is_underway(self.ledger.fresh_key(seq)) or not self.ledger.holds(seq):
                continue  # still in this instance's pipeline, or finished by it meanwhile
            done = self._opening(self.ledger.fresh_collection, self.ledger.fresh_id(seq), self.ledger.instance, marks)
            if done == BUSY:
                continue
            finished += done
            self.ledger.unhold(seq)
            upto = max(upto, seq)
        before = self.ledger.released
        if self.ledger.release_mark() != before or finished:
            self.ledger.write_release(self.ledger.instance, [], self.ledger.released)
        self.journal.counters.drop(marks, self.ledger.released, upto)
        return finished


class Claims:
    """Exactly one sweeper finishes a step: claims are unique per step, stamp and attempt."""

    def __init__(self, collection, journal: Journal):
        self.coll = collection
        self.clock = journal.clock
        self.takeover = journal.takeover

    def take(self, key: str, stamp: str) -> str:
        """The winner's claim id, `FINISHED` when a sweeper finished the step already, or
        `HELD` while another holds it; a claim older than the takeover time and not finished
        (its sweeper died) gives way to the next attempt."""
        for attempt in range(100):
            claim_id = f"{key}@{stamp}#{attempt}"
            try:
                self.coll.insert_one({"_id": claim_id, "at": self.clock()})
            except DuplicateKeyError:
                claim = self.coll.find_one({"_id": claim_id}) or {}
                if claim.get("finished"):
                    return FINISHED
                if claim and claim["at"] > self.clock() - self.takeover:
                    return HELD
                continue
            return claim_id
        return HELD

    def finished(self, claim_id: str) -> None:
        """A step finished under this claim is never finished again by a later sweep."""
        self.coll.update_one({"_id": claim_id}, {"$set": {"finished": True}})
