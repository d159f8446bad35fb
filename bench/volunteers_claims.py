"""Claims with 4 concurrent clients: the volunteers `claim_task` RPC (the volunteer's right on the
team, the member and their skills, a versioned write of the task with its `task_claimed` event)
beside a bare nameko echo in the same run. Each client is another member of one team, with its
own token, claiming head-count-1 tasks of its own, so every call is a real claim that succeeds.
Last, the floor (`bench/floor_service.py`): the two reads and the compare-and-set write any
claim needs, on the same tasks and memberships, with nothing else, as far as a claim could go."""

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from bench import cpu
from bench.harness import SECRET, bench_stack, measure_concurrent, service_process
from services.rosters.demo import find_place, load_demo
from shared.actor import Actor, context_for
from shared.mongo import mongo_client
from shared.stack.ports import wait_until

CLIENTS = 4
PER_CLIENT = 500
WARMUP = 20  # `measure_concurrent`'s warm-up calls per client
SKILL = "法律咨询"


@contextlib.contextmanager
def volunteers_cluster() -> Iterator[tuple[object, dict]]:
    """A stack with the echo, rosters and volunteers services running as processes on fresh
    databases (dropped afterwards); yields the stack and the services' environment."""
    with bench_stack() as stack:
        versions = stack.versions()
        print(f"stack: {stack.source}: RabbitMQ {versions['rabbitmq']}, {versions['mongodb']}")
        suffix = int(time.time())
        env = {"AMQP_URI": stack.amqp_uri, "MONGO_URI": stack.mongo_uri, "ROSTERS_DB": f"bench_rosters_{suffix}",
               "VOLUNTEERS_DB": f"bench_volunteers_{suffix}", "ACTOR_SECRET": SECRET}
        with service_process("bench.echo_service", env, "bench/echo.yml"), \
                service_process("bench.floor_service", env, "bench/floor.yml"), \
                service_process("services.rosters.service", env, "services/rosters/config.yml"), \
                service_process("services.volunteers.service", env, "services/volunteers/config.yml"):
            yield stack, env
        client = mongo_client(stack.mongo_uri)
        client.drop_database(env["ROSTERS_DB"])
        client.drop_database(env["VOLUNTEERS_DB"])


def team_of_members(rpc, community: str, home: str) -> tuple[dict, list[dict]]:
    """One legal team at the community and CLIENTS lawyers, registered, applied and screened in."""
    team = rpc.volunteers.create_team(node_id=community, name='爱"嘉"团', kind="legal", skills=[SKILL],
                                      categories=["neighbour_dispute"])
    members = []
    for n in range(CLIENTS):
        phone = f"1380731{n + 100:04d}"
        rpc.rosters.register_person(name=f"律师{n + 1}", phone=phone, occupation="律师", skills=[SKILL],
                                    home_unit_id=home)
        applied = rpc.volunteers.apply_member(team_id=team["team_id"], phone=phone, work_unit="人和律师事务所")
        members.append(rpc.volunteers.screen_member(member_id=applied["member_id"], passed=True))
    return team, members


def open_tasks(clients: list, team_id: str, count: int) -> list[str]:
    """`count` open head-count-1 tasks of the team, opened through the RPC by every client at once;
    they start in three days, so no reminder is due while the claims are measured."""
    starts = datetime.now(UTC) + timedelta(days=3)

    def opened(rpc, numbers: range) -> list[str]:  # one green thread per proxy: a proxy is not shared
        return [rpc.volunteers.open_task(
            team_id=team_id, kind="service", title=f"法律咨询值班 {n}", required_skills=[SKILL], headcount=1,
            starts_at=(starts + timedelta(minutes=n)).isoformat(),
            ends_at=(starts + timedelta(minutes=n + 120)).isoformat())["task_id"] for n in numbers]

    shares = [range(n, count, len(clients)) for n in range(len(clients))]
    opened_by_client = eventlet.GreenPool(len(clients)).starmap(opened, zip(clients, shares, strict=True))
    return [task_id for ids in opened_by_client for task_id in ids]


def claimer(rpc, task_ids: list[str]):
    """A client's call: claim the next of its own tasks as its member."""
    tasks = iter(task_ids)

    def claim(i: int) -> dict:
        claimed = rpc.volunteers.claim_task(task_id=next(tasks))
        assert claimed["state"] == "claimed", claimed
        return claimed

    return claim


def floorer(rpc, task_ids: list[str], member_id: str):
    """A client's call to the floor: the same task reads and write as its claims, bare."""
    tasks = iter(task_ids)

    def claim(i: int) -> int:
        written = rpc.floor.claim(task_id=next(tasks), member_id=member_id)
        assert written == 1, written
        return written

    return claim


def main() -> None:
    with volunteers_cluster() as (stack, env):
        context = context_for(Actor("bench", "system"), SECRET)
        config = {"AMQP_URI": stack.amqp_uri}
        with contextlib.ExitStack() as proxies:
            ops = [proxies.enter_context(ClusterRpcProxy(config, context_data=context, timeout=30))
                   for _ in range(CLIENTS)]
            wait_until(lambda: ops[0].echo.echo(x=1) == {"x": 1}, 60, "echo service")
            wait_until(lambda: ops[0].floor.claim(task_id="none", member_id="none") == 0, 60, "floor service")
            wait_until(lambda: ops[0].rosters.search_people(limit=1) is not None, 60, "rosters service")
            wait_until(lambda: ops[0].volunteers.list_teams(limit=1) is not None, 60, "volunteers service")
            places = load_demo(ops[0].rosters)
            team, members = team_of_members(ops[0], find_place(places, "嘉园社区"),
                                            find_place(places, "名都凯旋城/2栋/1单元"))
            per_client = WARMUP + PER_CLIENT
            started = time.perf_counter()
            task_ids = open_tasks(ops, team["team_id"], CLIENTS * per_client)
            print(f"opened {len(task_ids)} tasks in {time.perf_counter() - started:.1f}s")
            clients = [proxies.enter_context(ClusterRpcProxy(
                config, context_data=context_for(Actor(m["person_id"], "volunteer"), SECRET), timeout=30))
                for m in members]
            echo = measure_concurrent([lambda i, rpc=rpc: rpc.echo.echo(task_id=task_ids[0], n=i) for rpc in clients],
                                      PER_CLIENT, WARMUP)
            claims = measure_concurrent([claimer(rpc, task_ids[n * per_client:(n + 1) * per_client])
                                         for n, rpc in enumerate(clients)], PER_CLIENT, WARMUP)
            floor = measure_concurrent([floorer(rpc, task_ids[n * per_client:(n + 1) * per_client], m["member_id"])
                                        for n, (rpc, m) in enumerate(zip(clients, members, strict=True))],
                                       PER_CLIENT, WARMUP)
            claimed = ops[0].volunteers.list_tasks(team_id=team["team_id"], state="claimed", limit=1)["total"]
    print(f"{CLIENTS} clients x {PER_CLIENT} claims, each client another member on head-count-1 tasks of its own; "
          f"tasks claimed: {claimed} of {len(task_ids)}")
    print(f"{'':22}{'calls/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    rows = (("bare nameko echo", echo), ("volunteers.claim_task", claims), ("floor: 2 reads + 1 write", floor))
    for label, row in rows:
        print(f"{label:22}{row['calls_per_s']:>10.0f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    for label, row in rows:
        print(f"CPU ms per call, {label}: {cpu.describe(row['cpu_ms'])}")
    print(f"claim throughput / echo throughput = {claims['calls_per_s'] / echo['calls_per_s']:.2f} (goal >= 0.5)")
    print(f"floor throughput / echo throughput = {floor['calls_per_s'] / echo['calls_per_s']:.2f} "
          f"(the most any claim could reach here)")


if __name__ == "__main__":
    main()
