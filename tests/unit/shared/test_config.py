"""`${VAR:default}` expansion and YAML config loading."""

import pytest

from shared.config import MissingSetting, expand, load_config


def test_a_set_variable_replaces_its_placeholder_even_when_a_default_is_given():
    environ = {"ROSTERS_DB": "linli_rosters"}

    text = expand("db: ${ROSTERS_DB:rosters}", environ)

    assert text == "db: linli_rosters"


def test_an_unset_variable_takes_its_default():
    text = expand("uri: ${AMQP_URI:amqp://guest:guest@localhost:5672/}", {})

    assert text == "uri: amqp://guest:guest@localhost:5672/"


def test_an_empty_default_gives_an_empty_string():
    text = expand("secret: '${ACTOR_SECRET:}'", {})

    assert text == "secret: ''"


def test_a_bare_placeholder_whose_variable_is_missing_raises_missing_setting():
    with pytest.raises(MissingSetting) as raised:
        expand("secret: ${ACTOR_SECRET}", {})

    assert "ACTOR_SECRET" in str(raised.value)


def test_a_bare_placeholder_whose_variable_is_set_is_replaced():
    text = expand("secret: ${ACTOR_SECRET}", {"ACTOR_SECRET": "jiayuan-2024"})

    assert text == "secret: jiayuan-2024"


def test_text_without_placeholders_is_left_as_it_is():
    text = expand("community: 嘉园社区 $HOME {x}", {})

    assert text == "community: 嘉园社区 $HOME {x}"


def test_load_config_expands_placeholders_and_keeps_yaml_types(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(
        "AMQP_URI: ${AMQP_URI:amqp://localhost}\n"
        "OUTBOX_SWEEP_SECONDS: ${SWEEP:2.5}\n"
        "MAX_WORKERS: ${WORKERS:10}\n"
        "DEBUG: ${DEBUG:false}\n"
        "UNMASK_ROLES: [secretary, duty_officer]\n"
        "COMMUNITY: 嘉园社区\n",
        encoding="utf-8",
    )

    config = load_config(path, {"WORKERS": "4"})

    assert config == {
        "AMQP_URI": "amqp://localhost",
        "OUTBOX_SWEEP_SECONDS": 2.5,
        "MAX_WORKERS": 4,
        "DEBUG": False,
        "UNMASK_ROLES": ["secretary", "duty_officer"],
        "COMMUNITY": "嘉园社区",
    }


def test_load_config_of_an_empty_file_is_an_empty_dict(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text("", encoding="utf-8")

    config = load_config(str(path), {})

    assert config == {}


def test_load_config_raises_missing_setting_for_a_required_variable(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text("ACTOR_SECRET: ${ACTOR_SECRET}\n", encoding="utf-8")

    with pytest.raises(MissingSetting):
        load_config(path, {})
