"""Run the simulator: `python -m reconcile.sim [--host H] [--port P]`."""

from __future__ import annotations

import argparse

from reconcile.sim import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m reconcile.sim")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
