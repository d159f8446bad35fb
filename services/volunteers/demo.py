"""`make run`'s demo support team, loaded over RPC as an outside system would: 爱"嘉"团 of
嘉园社区 (seed 000): four lawyers of 人和律师事务所 and the neighbourhood police officer, screened
in, and a legal talk for the unit leaders next week that two of them may claim."""

from datetime import UTC, datetime, timedelta

from shared.stack.ports import wait_until

TEAM = '爱"嘉"团'
COMMUNITY = ["雨花区", "左家塘街道", "嘉园社区"]
HOME = [*COMMUNITY, "第一网格", "红花坡片区", "金昌花园", "1栋", "1单元"]
MEMBERS = [
    # name, phone, occupation, skills, work unit
    ("罗雅婷", "13807312001", "律师", ["法律咨询", "法律宣传"], "人和律师事务所"),
    ("彭子墨", "13807312002", "律师", ["法律咨询", "政策宣讲"], "人和律师事务所"),
    ("谭思远", "13807312003", "律师", ["法律咨询"], "人和律师事务所"),
    ("易嘉欣", "13807312004", "律师", ["法律咨询", "调解"], "人和律师事务所"),
    ("黄振华", "13807312005", "民警", ["治安", "调解"], "左家塘派出所"),
]


def load_once(rpc) -> str:
    """The demo team, unless it is there already; one line saying which."""
    wait_until(lambda: bool(rpc.rosters.search_people(name="曾玉琴")), 60, "the demo street")
    community = rpc.rosters.locate_unit(path=COMMUNITY)
    if rpc.volunteers.list_teams(node_id=community["unit_id"])["total"]:
        return "demo support team already loaded"
    team = rpc.volunteers.create_team(node_id=community["unit_id"], name=TEAM, kind="legal",
                                      skills=["法律咨询", "法律宣传", "政策宣讲", "调解"],
                                      categories=["neighbour_dispute", "property_services", "safety_hazard"],
                                      description="辖区律师、民警、在职党员为单元长提供专业支持")
    home = rpc.rosters.locate_unit(path=HOME)
    for name, phone, occupation, skills, work_unit in MEMBERS:
        rpc.rosters.register_person(name=name, phone=phone, occupation=occupation, skills=skills,
                                    home_unit_id=home["unit_id"])
        member = rpc.volunteers.apply_member(team_id=team["team_id"], phone=phone, profession=occupation,
                                             skills=skills, work_unit=work_unit,
                                             availability=[{"weekday": 6, "start": "09:00", "end": "12:00"}])
        rpc.volunteers.screen_member(member_id=member["member_id"], passed=True, note="资格审核通过")
    starts = (datetime.now(UTC) + timedelta(days=7)).replace(hour=11, minute=0, second=0, microsecond=0)
    rpc.volunteers.open_task(team_id=team["team_id"], kind="legal_talk", title="单元长常见法律问题讲座",
                             required_skills=["法律宣传"], headcount=2, starts_at=starts.isoformat(),
                             ends_at=(starts + timedelta(hours=2)).isoformat(), request_id="demo-legal-talk")
    return f"demo support team loaded: {TEAM} with {len(MEMBERS)} members"
