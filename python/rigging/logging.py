"""Rigging's log output through loguru, as in 2.3: silent until you turn it on.

``rigging.logger`` is loguru's ``logger``. Rigging's own records are disabled until
``logger.enable("rigging")`` or `configure_logging` (which also sets up loguru's sinks the
2.3 way). At level TRACE rigging records every batch of prompts sent to a generator and the
responses, through `loggable` (which masks secrets).

Loguru imports asyncio, ssl and multiprocessing, so it is loaded on first use: when you read
``rigging.logger`` (or ``rigging.logging.logger``), call `configure_logging`, or when rigging
logs while loguru is already loaded. Until then nothing can have enabled rigging's records and
logging costs one dictionary lookup.

Prefer the standard library? `to_stdlib` forwards rigging's records to the ``logging``
logger named after the module that emitted them (``rigging.…``), so ``logging`` handlers and
levels apply; the stdlib ``"rigging"`` logger has a ``NullHandler`` so it prints nothing by
itself.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import typing as t
from collections.abc import Callable, Sequence
from pathlib import Path

from rigging._exports import public_dir as _public_dir
from rigging._redact import RedactFilter, redact_known
from rigging.error import _without_key

if t.TYPE_CHECKING:
    from loguru import Logger, Message, Record

__all__ = [
    "LogLevelList",
    "LogLevelLiteral",
    "configure_logging",
    "log",
    "loggable",
    "logger",
    "to_stdlib",
    "trace_messages",
    "trace_str",
]

LogLevelLiteral = t.Literal["trace", "debug", "info", "success", "warning", "error", "critical"]
"""The level names rigging accepts."""

LogLevelList: list[LogLevelLiteral] = list(t.get_args(LogLevelLiteral))
"""The level names, from most to least verbose."""

TRACE = 5
"""Numeric level of TRACE (loguru's), also registered with the standard library."""
SUCCESS = 25
"""Numeric level of SUCCESS (loguru's), also registered with the standard library."""
logging.addLevelName(TRACE, "TRACE")
logging.addLevelName(SUCCESS, "SUCCESS")
logging.getLogger("rigging").addHandler(logging.NullHandler())
# Stdlib records never carry secrets: remembered secret values and URL user-info are scrubbed.
logging.getLogger("rigging").addFilter(RedactFilter())

_ICONS = {
    "TRACE": "[T]",
    "DEBUG": "[_]",
    "INFO": "[=]",
    "SUCCESS": "[+]",
    "WARNING": "[-]",
    "ERROR": "[!]",
    "CRITICAL": "[x]",
}
_ROOT = "rigging"
_handlers: list[int] = []  # loguru handler ids added by configure_logging / to_stdlib
_ready: list[bool] = []  # non-empty once rigging's records were disabled by default


def _activated_explicitly(loguru_logger: Logger) -> bool:
    """Whether the app already enabled or disabled ``rigging`` in loguru (then leave it)."""
    core = getattr(loguru_logger, "_core", None)
    activations = getattr(core, "activation_list", None) or []
    return any(str(name).rstrip(".") == _ROOT for name, _ in activations)


def _logger() -> Logger:
    """Loguru's logger, with rigging's records disabled the first time (as 2.3 did at import)."""
    from loguru import logger as loguru_logger

    if not _ready:
        if not _activated_explicitly(loguru_logger):
            loguru_logger.disable(_ROOT)
        _ready.append(True)
    return loguru_logger


def __getattr__(name: str) -> t.Any:
    if name == "logger":
        return _logger()
    raise AttributeError(f"module 'rigging.logging' has no attribute {name!r}")


if t.TYPE_CHECKING:
    logger: Logger


def loggable(text: str) -> str:
    """The text rigging writes to logs for `text`: every log of prompts and ids goes through it.

    Masks the value of any ``api_key=`` (connection strings), every secret value a generator
    of this process has held and URL user-info (`rigging._redact.redact_known`).

    Args:
        text: Text about to be logged.

    Returns:
        The text with secrets masked.
    """
    return redact_known(_without_key(text))


def log(level: LogLevelLiteral, message: str, *args: t.Any) -> None:
    """Log a rigging record, if loguru is loaded (otherwise nobody can have enabled them).

    Args:
        level: Level name.
        message: Loguru-style message (``{}`` placeholders for `args`).
        *args: Values for the placeholders.
    """
    if "loguru" not in sys.modules:
        return
    _logger().patch(_scrub).opt(depth=1).log(level.upper(), message, *args)


def _scrub(record: Record) -> None:
    record["message"] = loggable(record["message"])


def _dump_messages(batches: Sequence[t.Any]) -> str:
    parts = []
    for index, item in enumerate(batches):
        messages = [item.message] if hasattr(item, "message") else item
        lines = [f"--- item {index} ---"]
        lines.extend(f"[{getattr(m, 'role', '?')}]: {getattr(m, 'content', m)}" for m in messages)
        parts.append("\n".join(lines))
    return loggable("\n".join(parts))


def _dump_texts(texts: Sequence[t.Any]) -> str:
    return loggable(
        "\n".join(
            f"--- item {i} ---\n{getattr(text, 'text', text)}" for i, text in enumerate(texts)
        )
    )


def trace_messages(batches: Sequence[t.Any], title: str) -> None:
    """TRACE record of conversations (built only if a sink takes TRACE records of rigging).

    Args:
        batches: One message list per item, or generated results (with ``.message``).
        title: What they are (``"Generating messages"``, ``"Generated"``...).
    """
    if "loguru" not in sys.modules:
        return
    _logger().opt(lazy=True, depth=1).trace(
        "{}:\n{}", lambda: title, lambda: _dump_messages(batches)
    )


def trace_str(texts: Sequence[t.Any], title: str) -> None:
    """TRACE record of texts (prompts or completions), built only when someone listens.

    Args:
        texts: The texts, or generated results (with ``.text``).
        title: What they are.
    """
    if "loguru" not in sys.modules:
        return
    dump = _logger().opt(lazy=True, depth=1)
    dump.trace("{}:\n{}", lambda: title, lambda: _dump_texts(texts))


def _level(name: str) -> str:
    if not isinstance(name, str) or name.lower() not in LogLevelList:
        raise ValueError(f"Unknown log level {name!r}; expected one of {LogLevelList}")
    return name.upper()


def _format(record: Record) -> str:
    icon = _ICONS.get(record["level"].name, f"[{record['level'].name[:1]}]")
    return f"{{time:HH:mm:ss.SSS}} | {icon} {{message}}\n{{exception}}"


def _file_args(
    log_file: Path | str | None,
    log_file_level: LogLevelLiteral,
    file: Path | str | None,
    file_level: LogLevelLiteral | None,
) -> tuple[Path | str | None, LogLevelLiteral]:
    if file is not None:
        if log_file is not None:
            raise TypeError("give either log_file or file, not both")
        log_file = file
    if file_level is not None:
        if log_file_level != "debug":
            raise TypeError("give either log_file_level or file_level, not both")
        log_file_level = file_level
    return log_file, log_file_level


def configure_logging(
    log_level: LogLevelLiteral = "info",
    log_file: Path | str | None = None,
    log_file_level: LogLevelLiteral = "debug",
    *,
    file: Path | str | None = None,
    file_level: LogLevelLiteral | None = None,
) -> None:
    """Turn rigging's logs on: loguru sinks on stderr and, optionally, a file (as in 2.3).

    Enables rigging's records and writes ``HH:mm:ss.SSS | [icon] message`` lines (icons
    ``[T] [_] [=] [+] [-] [!] [x]`` from TRACE to CRITICAL). Loguru's default stderr sink
    is removed so lines are not printed twice; other sinks you added are kept (2.3 removed
    them all). Calling it again replaces only the sinks it added. At ``"trace"`` every prompt
    and response is logged (through `loggable`).

    Args:
        log_level: Lowest level written to stderr.
        log_file: File to append records to, if any.
        log_file_level: Lowest level written to the file.
        file: Keyword spelling of `log_file`.
        file_level: Keyword spelling of `log_file_level`.

    Raises:
        ValueError: A level name is unknown.
        TypeError: Both spellings of the same option were given.
    """
    log_file, log_file_level = _file_args(log_file, log_file_level, file, file_level)
    stderr_level = _level(log_level)
    to_file_level = _level(log_file_level)
    loguru_logger = _logger()
    _remove_own(loguru_logger)
    with contextlib.suppress(ValueError):  # loguru's default stderr sink, if still there
        loguru_logger.remove(0)
    loguru_logger.enable(_ROOT)
    _handlers.append(loguru_logger.add(sys.stderr, level=stderr_level, format=_format))
    if log_file is not None:
        _handlers.append(
            loguru_logger.add(Path(log_file), level=to_file_level, format=_format, encoding="utf-8")
        )
        loguru_logger.info("Logging to {}", log_file)


def _remove_own(loguru_logger: Logger) -> None:
    while _handlers:
        with contextlib.suppress(ValueError):  # already removed by the app
            loguru_logger.remove(_handlers.pop())


def _to_stdlib_sink(message: Message) -> None:
    record = message.record
    target = logging.getLogger(record["name"] or _ROOT)
    level = record["level"].no
    if not target.isEnabledFor(level):
        return
    exc = record["exception"]
    exc_info = (exc.type, exc.value, exc.traceback) if exc and exc.type else None
    entry = target.makeRecord(
        target.name,
        level,
        record["file"].path,
        record["line"],
        record["message"],
        (),
        exc_info,  # type: ignore[arg-type]
        record["function"],
    )
    target.handle(entry)


def to_stdlib(level: LogLevelLiteral = "trace") -> Callable[[], None]:
    """Forward rigging's records to the standard library's ``logging`` (and enable them).

    Records go to ``logging.getLogger(<module>)`` (``rigging.…``) with loguru's level numbers
    (TRACE is 5, SUCCESS 25), so ``logging.getLogger("rigging")`` handlers and levels apply.

    Args:
        level: Lowest level forwarded.

    Returns:
        A function that stops forwarding.
    """
    loguru_logger = _logger()
    loguru_logger.enable(_ROOT)
    handler_id = loguru_logger.add(
        _to_stdlib_sink,
        level=_level(level),
        format="{message}",
        filter=lambda record: (record["name"] or "").split(".")[0] == _ROOT,
    )

    def stop() -> None:
        with contextlib.suppress(ValueError):
            loguru_logger.remove(handler_id)

    return stop


__dir__ = _public_dir(globals())
