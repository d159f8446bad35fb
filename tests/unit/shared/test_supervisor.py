"""`make run`'s supervision without processes: ports, the run lock, `make reset`, supervisord's config and
the services it starts."""

import socket
import sys

import pytest
from supervisor.options import ServerOptions

from shared import plugins
from shared.stack.places import ROOT, CannotRun, Places, check_ports_free, ports_from_env, run_lock
from shared.stack.ports import free_port
from shared.stack.programs import SERVICE_GROUP, Program, services
from shared.stack.reset import reset
from shared.stack.supervisor_config import START_RETRIES, render_config


@pytest.fixture
def places(tmp_path):
    found = Places(tmp_path / "var")
    found.make()
    return found


def program(name: str = "rosters", **overrides) -> Program:
    settings = {"command": ["/usr/bin/python3", "-m", "nameko", "run", "services.rosters.service"],
                "priority": 300, "ready": lambda: True, **overrides}
    return Program(name, **settings)


def parsed(places: Places, text: str) -> ServerOptions:
    """The config as supervisord itself reads it."""
    places.supervisor_config.write_text(text)
    options = ServerOptions()
    options.realize(args=["-c", str(places.supervisor_config)])
    return options


def test_ports_are_the_standard_ones_plus_ten_unless_the_environment_says_otherwise():
    assert ports_from_env({}) == {"LINLI_AMQP_PORT": 5682, "LINLI_MONGO_PORT": 27027, "LINLI_EPMD_PORT": 4379,
                                  "LINLI_RABBIT_DIST_PORT": 25682, "LINLI_GATEWAY_PORT": 8010}

    assert ports_from_env({"LINLI_AMQP_PORT": "15682"})["LINLI_AMQP_PORT"] == 15682


@pytest.mark.parametrize("value", ["amqp", "0", "70000", "-5"])
def test_a_port_that_is_not_a_port_number_is_refused(value):
    with pytest.raises(CannotRun, match="LINLI_MONGO_PORT"):
        ports_from_env({"LINLI_MONGO_PORT": value})


def test_a_taken_port_is_refused_with_the_variable_that_moves_it():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]

        with pytest.raises(CannotRun, match=f"port {taken} \\(LINLI_AMQP_PORT\\) is taken"):
            check_ports_free({"LINLI_MONGO_PORT": free_port(), "LINLI_AMQP_PORT": taken})


def test_a_second_make_run_is_refused_while_the_first_holds_the_lock(places):
    with run_lock(places, "start make run"):
        second = run_lock(places, "start make run")

        with pytest.raises(CannotRun, match="make run is running"):
            second.__enter__()


def test_reset_is_refused_while_make_run_runs_and_keeps_the_data(places):
    (places.ferret_dir / "linli_rosters.sqlite").write_text("rows")

    with run_lock(places, "start make run"), pytest.raises(CannotRun, match="cannot reset"):
        reset(places)

    assert (places.ferret_dir / "linli_rosters.sqlite").exists()


def test_reset_empties_the_data_the_logs_and_stack_env(places):
    (places.ferret_dir / "linli_rosters.sqlite").write_text("rows")
    (places.logs / "rosters.log").write_text("started")
    places.stack_env.write_text("AMQP_URI=amqp://guest:guest@127.0.0.1:5682/\n")

    removed = reset(places)

    assert len(removed) == 3
    assert not places.data.exists() and not places.logs.exists() and not places.stack_env.exists()
    assert places.root.exists()


def test_every_program_restarts_with_backoff_and_stops_with_its_process_group(places):
    programs = [program("ferretdb", priority=200, startsecs=3), program("rosters")]

    options = parsed(places, render_config(places, programs, run_as_root=False, password="secret"))

    configs = {config.name: config for group in options.process_group_configs for config in group.process_configs}
    assert set(configs) == {"ferretdb", "rosters"}
    assert all(config.autorestart and not config.autostart for config in configs.values())
    assert all(config.startretries == START_RETRIES for config in configs.values())
    assert all(config.stopasgroup and config.killasgroup for config in configs.values())
    assert (configs["ferretdb"].priority, configs["ferretdb"].startsecs) == (200, 3)
    assert configs["rosters"].stdout_logfile == str(places.logs / "rosters.log")
    assert options.nodaemon


def test_a_program_gets_its_command_and_environment_as_given(places):
    rabbit = program("rabbitmq", command=["/usr/lib/rabbitmq/bin/rabbitmq-server", "--name", "two words"],
                     environment={"RABBITMQ_NODENAME": "linli@localhost", "HOME": str(places.rabbit_dir)})

    options = parsed(places, render_config(places, [rabbit], run_as_root=False, password="secret"))

    config = options.process_group_configs[0].process_configs[0]
    assert config.command == "/usr/lib/rabbitmq/bin/rabbitmq-server --name 'two words'"
    assert config.environment == {"RABBITMQ_NODENAME": "linli@localhost", "HOME": str(places.rabbit_dir)}


def test_a_value_supervisord_would_expand_is_refused(places):
    with pytest.raises(CannotRun, match="expansion"):
        render_config(places, [program(command=["/opt/100%/python3"])], run_as_root=False, password="secret")


def test_a_var_folder_too_deep_for_a_unix_socket_gets_its_socket_in_tmp(tmp_path):
    deep = Places(tmp_path / ("folder" * 20) / "var")

    assert len(str(deep.supervisor_socket)) < 100
    assert Places(tmp_path / "var").supervisor_socket == tmp_path / "var" / "supervisor.sock"


def test_make_run_starts_each_service_the_project_declares_as_ops_would_with_its_own_config():
    declared = plugins.available(SERVICE_GROUP)

    programs = {program.name: program for program in services("amqp://guest:guest@127.0.0.1:5682/")}

    assert set(programs) == set(declared) >= {"rosters", "cases"}
    assert programs["rosters"].command == [sys.executable, "-m", "nameko", "run", "--config",
                                           str(ROOT / "services" / "rosters" / "config.yml"),
                                           "services.rosters.service:RostersService"]
    assert all(program.priority == 300 for program in programs.values())


def test_the_demo_data_comes_from_the_rosters_service():
    loaders = plugins.available("linli.demo_data")

    assert loaders["rosters"].value == "services.rosters.demo:load_once"
    assert callable(loaders["rosters"].load())
