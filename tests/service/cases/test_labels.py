"""The labels RPC gives every code with its Chinese label, so a front end needs no source."""

from pathlib import Path

import services.cases
from services.cases.lifecycle import STATES
from services.cases.policy import CasePolicy
from services.cases.taxonomy import CHANNELS
from shared.config import load_config
from tests.service.street import KANG


def test_labels_give_urgencies_states_and_channels_in_chinese(service_as):
    labels = service_as(KANG).labels()

    assert {u["code"]: u["label"] for u in labels["urgencies"]} == {"normal": "一般", "urgent": "紧急",
                                                                     "critical": "特急"}
    assert {s["code"] for s in labels["states"]} == STATES
    assert {s["code"]: s["label"] for s in labels["states"]}["closed"] == "已销号"
    assert [c["code"] for c in labels["channels"]] == list(CHANNELS)
    assert {p["code"]: p["label"] for p in labels["places"]}["rooftop"] == "楼顶"


def test_labels_give_each_category_with_its_label_and_group(service_as):
    categories = {c["code"]: c for c in service_as().labels()["categories"]}

    assert categories["drains"]["label"] == "下水道堵塞"
    assert categories["other"] == {"code": "other", "label": "其他", "group": None}


def test_the_categories_and_their_groups_are_configured_in_the_services_config_file():
    config = load_config(Path(services.cases.__file__).parent / "config.yml")

    taxonomy = CasePolicy.from_config(config).taxonomy

    assert taxonomy.categories == config["CATEGORIES"]
    assert (taxonomy.label("drains"), taxonomy.groups["drains"]) == ("下水道堵塞", "设施维修")
    assert taxonomy.groups["illegal_building"] == "秩序与安全"
