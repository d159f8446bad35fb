"""supervisord.conf for `make run`'s programs: each restarted when it dies, with backoff when it keeps dying."""

import shlex
from collections.abc import Iterable

from shared.stack.places import CannotRun, Places
from shared.stack.programs import Program

START_RETRIES = 30  # failed starts in a row (about eight minutes of backoff) before giving up: FATAL


def render_config(places: Places, programs: Iterable[Program], run_as_root: bool, password: str) -> str:
    """The supervisord.conf text: one [program:x] section per program, all started on demand."""
    login = {"username": "linli", "password": password}
    sections = [
        "; Written by `make run` at each start. `supervisorctl -c <this file> status` shows the programs.",
        section("supervisord", nodaemon="true", logfile=places.logs / "supervisord.log", logfile_maxbytes="10MB",
                logfile_backups=3, pidfile=places.root / "supervisord.pid", childlogdir=places.logs,
                **({"user": "root"} if run_as_root else {})),
        section("unix_http_server", file=places.supervisor_socket, chmod="0700", **login),
        section("rpcinterface:supervisor", **{
            "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"}),
        section("supervisorctl", serverurl=f"unix://{places.supervisor_socket}", **login),
    ]
    for program in programs:
        sections.append(section(
            f"program:{program.name}", command=shlex.join(program.command),
            directory=program.directory, environment=",".join(
                f'{key}="{quoted(value)}"' for key, value in program.environment.items()),
            priority=program.priority, autostart="false", autorestart="true", startsecs=program.startsecs,
            startretries=START_RETRIES, stopsignal="TERM", stopwaitsecs=program.stopwaitsecs,
            stopasgroup="true", killasgroup="true", redirect_stderr="true",
            stdout_logfile=places.logs / f"{program.name}.log", stdout_logfile_maxbytes="10MB",
            stdout_logfile_backups=3))
    return "\n\n".join(sections) + "\n"


def section(title: str, **settings) -> str:
    lines = [f"[{title}]"] + [f"{key}={plain(str(value))}" for key, value in settings.items() if value != ""]
    return "\n".join(lines)


def quoted(value: str) -> str:
    if '"' in value or "\n" in value:
        raise CannotRun(f"supervisord cannot pass this value in a program's environment: {value!r}")
    return value


def plain(value: str) -> str:
    """The value as is: supervisord expands `%(name)s` in it, some settings twice, so `%` cannot be escaped."""
    if "%" in value:
        raise CannotRun(f"supervisord reads % as the start of an expansion; move what has one: {value!r}")
    return value
