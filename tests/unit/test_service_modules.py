"""`nameko run <module>` serves every class of the module that has entrypoints: each service's
module must hold exactly its service class, whatever it imports (a mixin of shared RPCs
imported by name would be taken for a second service and stop the process)."""

from importlib.metadata import entry_points

import pytest
from nameko.cli.run import import_service

SERVICES = sorted(entry_points(group="linli.services"), key=lambda e: e.name)


def test_every_service_is_registered():
    assert {e.name for e in SERVICES} >= {"rosters", "cases", "volunteers", "notifications", "hotline"}


@pytest.mark.parametrize("entry", SERVICES, ids=[e.name for e in SERVICES])
def test_nameko_run_finds_exactly_the_service_class_in_its_module(entry):
    service_cls = entry.load()
    assert import_service(service_cls.__module__) == [service_cls]
    assert service_cls.name == entry.name
