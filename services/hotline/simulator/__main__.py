"""`python -m services.hotline.simulator --port 8031 [--host 127.0.0.1]`: a local 12345 platform
for tests and the dev stack (services/hotline/PROTOCOL.md). Prints one line once listening, then
serves until killed."""

import argparse

from services.hotline.simulator.platform_state import Behaviour, PlatformState
from services.hotline.simulator.server import SimulatorServer


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.hotline.simulator",
                                     description="A local 12345 hotline platform speaking the JSON protocol.")
    parser.add_argument("--port", type=int, default=8031, help="0: any free port (the line printed names it)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--token", help="accept only `Authorization: Bearer <token>` on /api (default: any)")
    parser.add_argument("--return-window-hours", type=float, default=48, help="退单 allowed this long after 签收")
    parser.add_argument("--max-extension-days", type=int, default=10, help="the longest 延期 granted, working days")
    parser.add_argument("--seed", type=int, default=1, help="of the injected errors and of page shuffling")
    arguments = parser.parse_args()
    defaults = Behaviour(return_window_hours=arguments.return_window_hours,
                         max_extension_days=arguments.max_extension_days)
    server = SimulatorServer((arguments.host, arguments.port), PlatformState(defaults, arguments.seed),
                             arguments.token)
    host, port = server.server_address[:2]
    print(f"hotline simulator on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
