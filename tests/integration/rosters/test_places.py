"""The places kept on people follow the tree on the real database: the people below an
estate moved to another community are seen there, and no longer where it was."""

from services.rosters.demo import find_place


def test_people_below_an_estate_moved_to_another_community_follow_it(rosters, demo, rpc_as):
    estate = find_place(demo, "嘉园社区/名都凯旋城")

    rosters.move_unit(unit_id=estate, new_parent_id=find_place(demo, "联福社区/华尔星城片区"))

    lianfu = rpc_as("何涛", "secretary", [find_place(demo, "联福社区")]).rosters
    jiayuan = rpc_as("曾玉琴", "secretary", [find_place(demo, "嘉园社区")]).rosters
    assert [p["name"] for p in lianfu.search_people(name="王立")] == ["王立"]
    assert jiayuan.search_people(name="王立") == []
    assert [a["name"] for a in lianfu.appointments(node_id=estate)] == ["王立"]
