"""Load a service's `config.yml`, expanding `${VAR:default}` from the environment."""

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

_PLACEHOLDER = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<default>[^}]*))?\}")


class MissingSetting(KeyError):
    """A `${VAR}` placeholder without default whose variable is not set."""


def expand(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every `${VAR:default}` in text; a bare `${VAR}` must be set."""
    env = os.environ if environ is None else environ

    def substitute(match: re.Match) -> str:
        name, default = match.group("name"), match.group("default")
        if name in env:
            return env[name]
        if default is None:
            raise MissingSetting(f"environment variable {name} is required by the config")
        return default

    return _PLACEHOLDER.sub(substitute, text)


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read a YAML config file with placeholders expanded; scalars keep YAML types."""
    text = expand(Path(path).read_text(encoding="utf-8"), environ)
    return yaml.safe_load(text) or {}


def flag(value: Any) -> bool:
    """A yes/no setting, whether YAML already made it a bool or it arrived as text."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
