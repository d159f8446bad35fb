"""One claiming process: `python -m tests.integration.races.claimer AMQP_URI PERSON_ID...`.

It opens one proxy per member, each acting as that member (role `volunteer`, `who` the
person id), and prints `ready`. Then, for each line `{"task_id", "start"}` read from stdin, it
waits until `start` (a wall-clock time every claimer is given alike), puts every member's
`claim_task` on the broker before awaiting any answer (as `racing.race` does), and prints one JSON
line: each member's place as their own answer shows it, or their error, and the seconds from
`start` to the last answer. An empty line ends it."""

import contextlib
import json
import sys
import time

from nameko.standalone.rpc import ClusterRpcProxy

from tests.conftest import actor_context


def place_of(person_id: str, task: dict) -> dict:
    """Where the member's own answer puts them: among the claimants, or waiting at a position."""
    if person_id in [c["person_id"] for c in task["claimants"]]:
        return {"person_id": person_id, "held": "claimants"}
    position = next(w["position"] for w in task["waiting"] if w["person_id"] == person_id)
    return {"person_id": person_id, "held": "waiting", "position": position}


def claim_together(proxies: list, person_ids: list[str], task_id: str, start: float) -> dict:
    """As `racing.race` does: every request on the broker before any answer is awaited."""
    time.sleep(max(0.0, start - time.time()))
    replies = [proxy.volunteers.claim_task.call_async(task_id=task_id) for proxy in proxies]
    places, errors = [], []
    for person_id, reply in zip(person_ids, replies, strict=True):
        try:
            places.append(place_of(person_id, reply.result()))
        except Exception as error:  # noqa: BLE001 - every error is reported with its type
            errors.append(f"{person_id}: {type(error).__name__}: {str(error)[:300]}")
    return {"took": time.time() - start, "places": places, "errors": errors}


def main(amqp_uri: str, person_ids: list[str]) -> None:
    with contextlib.ExitStack() as opened:
        proxies = [opened.enter_context(ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60,
                                                        context_data=actor_context(person_id, "volunteer")))
                   for person_id in person_ids]
        print("ready", flush=True)
        for line in sys.stdin:
            if not line.strip():
                break
            order = json.loads(line)
            print(json.dumps(claim_together(proxies, person_ids, order["task_id"], order["start"])), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
