"""`galleria-local`: start the local stack on 127.0.0.1 and keep it up until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from galleria_local.ports import PortBusyError, ensure_port_free

logger = logging.getLogger("galleria_local")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="galleria-local",
        description="Run Galleria locally: template.yaml in moto, its functions behind a local gateway.",
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="gateway port (default 8000; 0 picks a free one)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="gateway address (default 127.0.0.1)")
    parser.add_argument(
        "--state-file",
        type=Path,
        default=Path(".local-stack/stack.json"),
        help="base URL, API key and outputs go here, logs next to it (default .local-stack/stack.json)",
    )
    parser.add_argument("--template", type=Path, default=Path("template.yaml"), help="the SAM template")
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="template parameter values, as in sam deploy",
    )
    parser.add_argument(
        "--sqs-retry-delay",
        type=int,
        metavar="SECONDS",
        help="make failed SQS messages visible again after SECONDS instead of the queue's visibility timeout",
    )
    parser.add_argument(
        "--no-emulators",
        action="store_true",
        help="no local Gemini/OpenAI/BFL emulators: models without a provider key are unavailable",
    )
    parser.add_argument(
        "--no-iam",
        action="store_true",
        help="do not enforce IAM: every function may call anything in the local AWS (for debugging; "
        "by default each function may do only what its role in the template allows)",
    )
    parser.add_argument("--verbose", action="store_true", help="debug logging, tracebacks of start-up errors")
    args = parser.parse_args(argv)
    try:
        args.parameter_overrides = dict(item.split("=", 1) for item in args.parameter_overrides)
    except ValueError:
        parser.error("--parameter-overrides takes NAME=VALUE pairs")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logger.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        ensure_port_free(args.host, args.port)
    except PortBusyError as exc:
        print(exc, file=sys.stderr)
        return 2

    # Imported after the port check, and not at module level: a spawned function worker re-imports
    # the main module, and moto and boto3 would add a third of a second to every cold start.
    from galleria_local.banner import render_banner
    from galleria_local.stack import LocalStack

    # Both explicitly: a shell that starts the stack in the background leaves SIGINT ignored.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, _interrupt)
    stack = LocalStack(
        args.template,
        args.host,
        args.port,
        state_dir=args.state_file.parent,
        state_file=args.state_file,
        parameter_overrides=args.parameter_overrides,
        sqs_retry_delay_seconds=args.sqs_retry_delay,
        emulate_providers=not args.no_emulators,
        enforce_iam=not args.no_iam,
    )
    try:
        stack.start()
        print(render_banner(stack), flush=True)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    except PortBusyError as exc:
        print(exc, file=sys.stderr)
        return 2
    except Exception as exc:
        logger.debug("Start-up failed", exc_info=True)
        print(f"The local stack could not start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean-up
        stack.stop()
    print("Galleria local stack stopped. Bye.", flush=True)
    return 0


def _interrupt(signal_number: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
