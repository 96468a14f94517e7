"""Rigging's log output: silent by default, one call to turn it on.

Rigging logs through the standard library logger named ``"rigging"``. A library must not print, so
the logger only has a ``NullHandler`` until :func:`configure_logging` adds handlers.
"""

from __future__ import annotations

import logging
import sys
import typing as t
from pathlib import Path

from rigging._exports import public_dir as _public_dir

__all__ = ["LogLevelList", "LogLevelLiteral", "configure_logging", "logger"]

LogLevelLiteral = t.Literal["trace", "debug", "info", "success", "warning", "error", "critical"]
"""The level names rigging accepts."""

LogLevelList: list[LogLevelLiteral] = list(t.get_args(LogLevelLiteral))
"""The level names, from most to least verbose."""

TRACE = 5
SUCCESS = 25
logging.addLevelName(TRACE, "TRACE")
logging.addLevelName(SUCCESS, "SUCCESS")

_LEVELS: dict[str, int] = {
    "trace": TRACE,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "success": SUCCESS,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
_ICONS = {
    TRACE: "[T]",
    logging.DEBUG: "[_]",
    logging.INFO: "[=]",
    SUCCESS: "[+]",
    logging.WARNING: "[-]",
    logging.ERROR: "[!]",
    logging.CRITICAL: "[x]",
}

logger = logging.getLogger("rigging")
"""The ``rigging`` logger (standard library)."""
logger.addHandler(logging.NullHandler())


class _IconFormatter(logging.Formatter):
    """``HH:MM:SS.mmm | [icon] message``."""

    def format(self, record: logging.LogRecord) -> str:
        record.icon = _ICONS.get(record.levelno, f"[{record.levelname[:1]}]")
        return super().format(record)


class _RiggingHandler(logging.Handler):
    """Marker base so re-configuring replaces only the handlers rigging added."""


if t.TYPE_CHECKING:
    _TextStreamHandler = logging.StreamHandler[t.TextIO]
else:  # StreamHandler is subscriptable only from Python 3.11
    _TextStreamHandler = logging.StreamHandler


class _StreamHandler(_TextStreamHandler, _RiggingHandler):
    pass


class _FileHandler(logging.FileHandler, _RiggingHandler):
    pass


def _level(name: str) -> int:
    try:
        return _LEVELS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown log level {name!r}; expected one of {LogLevelList}") from None


def configure_logging(
    log_level: LogLevelLiteral = "info",
    log_file: Path | str | None = None,
    log_file_level: LogLevelLiteral = "debug",
    *,
    file: Path | str | None = None,
    file_level: LogLevelLiteral | None = None,
) -> None:
    """Send rigging's log records to stderr, and optionally to a file.

    Calling it again replaces the handlers it added before (other handlers are left alone).
    ``configure_logging("debug", file="run.log", file_level="trace")`` and the 2.3 spelling
    ``configure_logging("debug", "run.log", "trace")`` do the same.

    Args:
        log_level: Lowest level written to stderr.
        log_file: File to append log records to, if any.
        log_file_level: Lowest level written to the file.
        file: Keyword spelling of `log_file`.
        file_level: Keyword spelling of `log_file_level`.

    Raises:
        ValueError: A level name is unknown.
        TypeError: Both spellings of the same option were given.
    """
    if file is not None:
        if log_file is not None:
            raise TypeError("give either log_file or file, not both")
        log_file = file
    if file_level is not None:
        if log_file_level != "debug":
            raise TypeError("give either log_file_level or file_level, not both")
        log_file_level = file_level
    stderr_level = _level(log_level)
    to_file_level = _level(log_file_level) if log_file is not None else stderr_level
    for handler in [h for h in logger.handlers if isinstance(h, _RiggingHandler)]:
        logger.removeHandler(handler)
        handler.close()
    formatter = _IconFormatter("%(asctime)s.%(msecs)03d | %(icon)s %(message)s", "%H:%M:%S")
    stream = _StreamHandler(sys.stderr)
    stream.setLevel(stderr_level)
    stream.setFormatter(formatter)
    logger.addHandler(stream)
    if log_file is not None:
        file_handler = _FileHandler(Path(log_file), encoding="utf-8")
        file_handler.setLevel(to_file_level)
        file_handler.setFormatter(formatter)
        logger.addHandler(file_handler)
    logger.setLevel(min(stderr_level, to_file_level))
    if log_file is not None:
        logger.info("Logging to %s", log_file)


__dir__ = _public_dir(globals())
