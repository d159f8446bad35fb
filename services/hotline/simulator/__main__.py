"""`python -m services.hotline.simulator --port 8031 [--host 127.0.0.1] [--state-file PATH]
[--seed-demo]`: a local 12345 platform for tests and the dev stack (services/hotline/PROTOCOL.md).
Prints one line once listening, then serves until killed (SIGTERM or Ctrl-C: the state saved)."""

import argparse
import signal
import sys
from pathlib import Path

from services.hotline.simulator.persistence import StateFile, StateFileError
from services.hotline.simulator.platform_state import Behaviour, PlatformState
from services.hotline.simulator.server import SimulatorServer
from services.hotline.simulator.stand_in import DEMO_TICKETS


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.hotline.simulator",
                                     description="A local 12345 hotline platform speaking the JSON protocol.")
    parser.add_argument("--port", type=int, default=8031, help="0: any free port (the line printed names it)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--token", help="accept only `Authorization: Bearer <token>` on /api (default: any)")
    parser.add_argument("--return-window-hours", type=float, default=48, help="退单 allowed this long after 签收")
    parser.add_argument("--max-extension-days", type=int, default=10, help="the longest 延期 granted, working days")
    parser.add_argument("--seed", type=int, default=1, help="of the injected errors and of page shuffling")
    parser.add_argument("--state-file", type=Path, help="keep the state in this JSON file across restarts")
    parser.add_argument("--seed-demo", action="store_true", help="start an empty platform with the demo tickets")
    arguments = parser.parse_args()
    defaults = Behaviour(return_window_hours=arguments.return_window_hours,
                         max_extension_days=arguments.max_extension_days)
    state = PlatformState(defaults, arguments.seed)
    state_file = StateFile(arguments.state_file, state) if arguments.state_file else None
    try:
        if state_file:
            state_file.load()
        if arguments.seed_demo and state.is_empty():
            state.add_tickets(DEMO_TICKETS)
        if state_file:
            state_file.start()
    except StateFileError as error:
        sys.exit(f"hotline simulator: {error}")
    serve(SimulatorServer((arguments.host, arguments.port), state, arguments.token), state_file)


def serve(server: SimulatorServer, state_file: StateFile | None) -> None:
    signal.signal(signal.SIGTERM, interrupted)
    host, port = server.server_address[:2]
    print(f"hotline simulator on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if state_file:
            state_file.close()


def interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops as Ctrl-C does: through the `finally` that saves


if __name__ == "__main__":
    main()
