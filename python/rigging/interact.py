"""An interactive chat in the terminal: ``await rg.interact(generator_or_pipeline)``.

Each line you type is sent with the whole conversation so far; the reply is printed and kept.
Commands: ``/exit`` (or ``/quit``) ends the session, ``/reset`` starts over from the pipeline's
own messages, ``/retry`` asks again for the last reply, ``/help`` lists them. 2.3's plain words
work too: ``exit``; ``reset`` or ``restart``; ``again`` or ``retry``.
End of input (ctrl-d, or the end of piped input) and ctrl-c while waiting for input end the
session cleanly; the last chat is returned.
"""

from __future__ import annotations

import builtins
import re
import signal
import sys
import threading
import typing as t
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rigging._exports import public_dir as _public_dir
from rigging.chat import ChatPipeline
from rigging.error import _safe_str
from rigging.generator import Generator, get_generator
from rigging.logging import log

if t.TYPE_CHECKING:
    from rigging.chat import Chat

__all__ = ["interact"]

HELP = (
    "Commands: /exit or /quit ends the session, /reset starts over, "
    "/retry asks again for the last reply, /help shows this "
    "(exit, reset/restart and again/retry work too)."
)

_COMMANDS = {
    "/exit": "/exit",
    "/quit": "/exit",
    "exit": "/exit",
    "/reset": "/reset",
    "reset": "/reset",
    "restart": "/reset",
    "/restart": "/reset",
    "/retry": "/retry",
    "retry": "/retry",
    "again": "/retry",
    "/again": "/retry",
    "/help": "/help",
}


def _read_input(prompt: str) -> str:
    """Read a line with whatever `builtins.input` is now (tests and apps may replace it)."""
    return builtins.input(prompt)


def _pipeline(entrypoint: ChatPipeline | Generator | str) -> ChatPipeline:
    if isinstance(entrypoint, ChatPipeline):
        return entrypoint
    if isinstance(entrypoint, str):
        entrypoint = get_generator(entrypoint)
    if isinstance(entrypoint, Generator):
        return entrypoint.chat()
    raise TypeError(
        "interact() needs a ChatPipeline, a Generator or a connection string, "
        f"got {type(entrypoint).__name__}"
    )


@contextmanager
def _interruptible() -> Iterator[None]:
    """Let ctrl-c raise `KeyboardInterrupt` inside a blocking read, even under asyncio."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Console:
    """Reads lines and writes replies; colours only on a terminal."""

    def __init__(self, read: Callable[[str], str], out: t.TextIO) -> None:
        self.read = read
        self.out = out
        self.colour = bool(getattr(out, "isatty", lambda: False)())

    def say(self, text: str, *, style: str = "") -> None:
        text = _printable(text)
        if self.colour and style:
            text = f"{style}{text}\033[0m"
        print(text, file=self.out, flush=True)

    def ask(self) -> str | None:
        """The next line, or None when input ended or ctrl-c was pressed."""
        prompt = "\033[1m> \033[0m" if self.colour else "> "
        try:
            with _interruptible():
                return self.read(prompt)
        except (EOFError, KeyboardInterrupt):
            self.say("")
            return None


# Control characters other than newline and tab (escape sequences a model wrote could set the
# terminal's title, clear it or write the clipboard) and lone surrogates (no encoding can
# print them: the session died with a UnicodeEncodeError).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    return match.group(0).encode("unicode_escape", "backslashreplace").decode("ascii")


def _printable(text: str) -> str:
    r"""`text` with control characters and lone surrogates shown as escapes (``\x1b``)."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(_escaped, text)


async def _reply(console: _Console, session: ChatPipeline) -> Chat | None:
    """Run the session once; print the reply or the error. None when the run failed."""
    try:
        chat = await session.run()
    except Exception as exc:
        text = _safe_str(exc, named=True)  # a broken __str__ must not end the session
        log("debug", "interactive run failed: {}", text)
        console.say(f"[error] {text}", style="\033[31m")
        return None
    console.say(chat.last.content, style="\033[36m")
    return chat


async def interact(
    entrypoint: ChatPipeline | Generator | str,
    *,
    reset_callback: Callable[[Chat | None], None] | None = None,
    read: Callable[[str], str] | None = None,
    output: t.TextIO | None = None,
) -> Chat | None:
    """Chat with a generator or pipeline in the terminal until ``/exit`` or end of input.

    The pipeline given is never changed: the session runs on a clone, keeping its checks,
    callbacks and watchers (so watchers record every turn).

    Args:
        entrypoint: A chat pipeline, a generator, or a connection string.
        reset_callback: Called with the last chat when ``/reset`` starts over.
        read: Reads one line after showing a prompt (default: `builtins.input`, looked up
            at each read).
        output: Where replies are written (standard output by default).

    Returns:
        The last chat of the session, or None if nothing was generated.

    Raises:
        TypeError: `entrypoint` is not a pipeline, generator or string.
    """
    base = _pipeline(entrypoint)
    console = _Console(read or _read_input, output if output is not None else sys.stdout)
    console.say(f"Chatting with {base.generator.to_identifier()}. {HELP}", style="\033[2m")
    session = base.clone()
    turns: list[tuple[ChatPipeline, str]] = []  # each answered turn: the session before it, text
    # The last turn, when it failed: the session before it, its text, and whether it was a
    # retry of `turns[-1]` (which it replaces on success). `/retry` sends it again.
    failed: tuple[ChatPipeline, str, bool] | None = None
    last: Chat | None = None
    while (line := console.ask()) is not None:
        text = line.strip()
        if not text:
            continue
        text = _COMMANDS.get(text.lower(), text)
        if text == "/exit":
            break
        if text == "/help":
            console.say(HELP)
            continue
        if text == "/reset":
            if reset_callback is not None:
                reset_callback(last)
            session, turns, failed, last = base.clone(), [], None, None
            console.say("(conversation reset)", style="\033[2m")
            continue
        if text == "/retry":
            if failed is not None:  # the turn that failed, again
                before, text, redo = failed
            elif turns:  # the last answered turn, answered anew
                (before, text), redo = turns[-1], True
            else:
                console.say("(nothing to retry yet)", style="\033[2m")
                continue
        elif text.startswith("/"):
            console.say(f"(unknown command {text.split()[0]}; {HELP})", style="\033[2m")
            continue
        else:
            before, redo = session, False
        chat = await _reply(console, before.clone().add(text))
        if chat is None:  # nothing changes: the conversation stays as it was
            failed = (before, text, redo)
            continue
        failed = None
        if redo:
            turns[-1] = (before, text)
        else:
            turns.append((before, text))
        last = chat
        session = chat.restart(generator=base.generator, include_all=True)
        session.settings = base.settings
    return last


__dir__ = _public_dir(globals())
