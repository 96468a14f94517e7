"""Command line: ``rigging chat <generator-id>`` (or ``python -m rigging chat ...``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rigging", description="Rigging command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chat = commands.add_parser(
        "chat",
        help="chat with a model in the terminal",
        description="Chat with a model in the terminal; /help lists the commands.",
    )
    chat.add_argument("generator", help="connection string, e.g. 'openai/gpt-4o-mini'")
    chat.add_argument("--system", help="system prompt to start the conversation with")
    chat.add_argument(
        "--log-level",
        default=None,
        help="send rigging's logs to stderr at this level (trace ... critical)",
    )
    return parser


async def _chat(args: argparse.Namespace) -> int:
    from rigging.generator import get_generator
    from rigging.interact import interact

    generator = get_generator(args.generator)
    pipeline = generator.chat([{"role": "system", "content": args.system}] if args.system else [])
    await interact(pipeline)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments without the program name (``sys.argv[1:]`` when None).

    Returns:
        The exit status: 0 on success, 2 for a bad connection string or arguments.
    """
    args = _parser().parse_args(argv)
    if args.log_level:
        from rigging.logging import configure_logging

        try:
            configure_logging(args.log_level)
        except ValueError as exc:
            print(f"rigging: {exc}", file=sys.stderr)
            return 2
    from rigging.error import InvalidModelSpecifiedError

    try:
        return asyncio.run(_chat(args))
    except InvalidModelSpecifiedError as exc:
        print(f"rigging: invalid generator: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
