"""The gateway over hand-written fakes: its key store on the in-memory database
(`tests.fakes.mongo`), cases and rosters as fake proxies answering as the services do, and
requests built with werkzeug as the web server hands them over."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder

import services.cases
from services.cases import labels
from services.cases.policy import CasePolicy
from services.cases.service import PUBLISHED_INPUTS
from services.gateway.repository import GatewayStore
from services.gateway.service import GatewayService
from services.notifications.service import NotificationsService
from shared.actor import Actor
from shared.config import load_config
from shared.errors import NotFound
from shared.openapi import input_schemas
from tests.fakes.mongo import FakeDatabase
from tests.service.fakes import FakeActorAccess
from tests.service.notifications.conftest import FakeProxy

OPS = Actor("ops", "admin")
PUBLISHED = ("input_schemas", "labels")  # what cases publishes for the gateway itself
TAXONOMY = CasePolicy.from_config(load_config(Path(services.cases.__file__).parent / "config.yml")).taxonomy
JIAYUAN = {"unit_id": "unit_jiayuan", "name": "嘉园社区", "level": "community",
           "ancestors": ["unit_yuhua", "unit_zjt"]}


def rosters_answer(method: str, kwargs: Mapping) -> Any:
    if method == "get_unit":
        if kwargs["unit_id"] != JIAYUAN["unit_id"]:
            raise NotFound("no unit", [{"field": "unit_id", "reason": "not found"}])
        return JIAYUAN
    if method == "responsible_chain":
        return [{"unit_id": kwargs["unit_id"], "name": "1单元", "level": "unit", "leaders": []}]
    raise AssertionError(method)


class Cases:
    """Answers as cases does; `fail_with` makes the next call for a caller raise it."""

    def __init__(self):
        self.fail_with: Exception | None = None

    def __call__(self, method: str, kwargs: Mapping) -> Any:
        if self.fail_with is not None and method not in PUBLISHED:
            error, self.fail_with = self.fail_with, None
            raise error
        if method == "report":
            return {"case_id": "case_1", "state": "reported", **kwargs}
        if method == "get_case":
            if kwargs["case_id"].startswith("missing"):
                raise NotFound("no case", [{"field": "case_id", "reason": "not found"}])
            return {"case_id": kwargs["case_id"], "state": "reported", "category": "drains",
                    "category_label": "下水道堵塞", "unit_path": ["嘉园社区", "金昌花园", "2栋", "1单元"],
                    "reporter": {"name": "王大爷", "phone": "13900001111"}}
        if method == "search":
            return {"total": 1, "items": [{"case_id": "case_9", "state": "closed", "category": "drains"}]}
        if method == "stats":
            return {"node_id": kwargs["node_id"], "totals": {}}
        if method == "input_schemas":
            return input_schemas(PUBLISHED_INPUTS)
        if method == "labels":
            return labels.catalogue(TAXONOMY)
        raise AssertionError(method)


def notifications_answer(method: str, kwargs: Mapping) -> Any:
    if method == "input_schemas":
        return input_schemas(NotificationsService.published_inputs)
    if method == "notify":
        return {"notice_id": "notice_1", "state": "accepted", **kwargs}
    if method == "notice_status":
        return {"notice_id": kwargs["notice_id"], "state": "done", "recipients": 3}
    raise AssertionError(method)


class Gateway:
    """A gateway worker and what it talks to."""

    def __init__(self):
        self.store = GatewayStore(FakeDatabase(), None, {})
        self.cases = Cases()
        self.cases_proxy = FakeProxy(self.cases)
        self.rosters_proxy = FakeProxy(rosters_answer)
        self.notifications_proxy = FakeProxy(notifications_answer)
        self.access = FakeActorAccess(OPS)

    @property
    def asked(self) -> list[tuple[str, dict]]:
        """The calls cases was asked for the caller (what it publishes left out)."""
        return [c for c in self.cases_proxy.calls if c[0] not in PUBLISHED]

    def worker(self) -> GatewayService:
        return worker_factory(GatewayService, store=self.store, actor=self.access, cases=self.cases_proxy,
                              rosters=self.rosters_proxy, notifications=self.notifications_proxy,
                              config={"OTHERS_TIMEOUT_SECONDS": 1})

    def issue(self, **overrides) -> str:
        """A fresh key for 嘉园社区's secretary; the raw key."""
        data = {"name": "区综治平台", "who": "district-app", "role": "secretary", "node_id": "unit_jiayuan",
                **overrides}
        return self.worker().issue_key(**data)["api_key"]

    def public_key(self) -> str:
        """The key Open311 reads without a key are answered as: a building leader's at 嘉园社区."""
        return self.issue(name="公开查询", who="open311-public", role="building_leader", public_reads=True)

    def request(self, endpoint: str, method: str, path: str, key: str | None = None, **kwargs):
        """The answer of `endpoint` (a method name) to a request; path values as the route gives them."""
        build = dict(kwargs.pop("build", {}))
        headers = {**({"X-API-Key": key} if key else {}), **build.pop("headers", {})}
        request = EnvironBuilder(path=path, method=method, headers=headers, **build).get_request()
        return getattr(self.worker(), endpoint)(request, **kwargs)


@pytest.fixture
def gateway() -> Gateway:
    for service in ("cases", "rosters", "notifications"):  # each test's services are asked afresh
        for published in PUBLISHED:
            GatewayService.published.forget(f"{service}.{published}")
    return Gateway()
