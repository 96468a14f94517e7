"""Command line: ``rigging chat <generator-id>``, ``rigging --version``, ``python -m rigging``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from rigging._native import __version__
from rigging.error import InvalidModelSpecifiedError
from rigging.generator import get_generator
from rigging.interact import interact
from rigging.logging import configure_logging

__all__ = ["main"]


_DESCRIPTION = """\
Rigging's command line. Rigging itself is a Python library for language models (structured
output, prompt functions, tools, batch pipelines); the command line lets you try a model
interactively.
"""

_EPILOG = """\
Run "rigging COMMAND --help" for a command's options.

examples:
  rigging chat openai/gpt-4o-mini
  rigging chat "anthropic/claude-3-5-haiku-latest,temperature=0.2" --system "Be brief."
  python -m rigging --version
"""

_CHAT_DESCRIPTION = """\
Start an interactive chat with a model in the terminal. Each line you type is sent as a user
message and the reply is printed. Lines starting with / are commands: /help lists them,
/retry asks again for the last reply, /reset starts the conversation over, /exit (or /quit,
end of input or Ctrl-C at the prompt) ends the session.
"""

_CHAT_EPILOG = """\
The provider's API key is read from its usual environment variable (OPENAI_API_KEY, ...)
or given in the connection string as api_key=...; it is never printed.

examples:
  rigging chat openai/gpt-4o-mini
  rigging chat "openai/gpt-4o,temperature=0.7,max_tokens=500" --system "You are terse."
  rigging chat ollama/llama3 --log-level debug
"""


def _version() -> str:
    python = ".".join(str(n) for n in sys.version_info[:3])
    return f"rigging {__version__} (Python {python})"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rigging",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-V",
        "--version",
        action="version",
        version=_version(),
        help="print rigging's version (and the Python running it) and exit",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", title="commands"
    )
    chat = commands.add_parser(
        "chat",
        help="chat with a model in the terminal",
        description=_CHAT_DESCRIPTION,
        epilog=_CHAT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat.add_argument(
        "generator",
        metavar="GENERATOR",
        help="connection string of the model: [provider!]model[,key=value...], "
        "e.g. 'openai/gpt-4o-mini' or 'openai/gpt-4o,temperature=0.2' (litellm is the "
        "default provider)",
    )
    chat.add_argument(
        "--system",
        metavar="TEXT",
        help="system prompt the conversation starts with (default: none)",
    )
    chat.add_argument(
        "--log-level",
        metavar="LEVEL",
        default=None,
        help="also write rigging's logs to stderr from this level up: trace, debug, info, "
        "success, warning, error or critical (default: no logs)",
    )
    return parser


async def _chat(args: argparse.Namespace) -> int:
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
        try:
            configure_logging(args.log_level)
        except ValueError as exc:
            print(f"rigging: {exc}", file=sys.stderr)
            return 2
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
