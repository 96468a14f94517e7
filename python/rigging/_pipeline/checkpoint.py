"""Checkpoint files: resumable batches (see docs/design/scale.md).

A checkpoint is a JSONL file. Its first line is a header naming the pipeline's fingerprint
(generator, params, staged content, checks, tool handlers, metadata) and, when the inputs were
a sized collection, a digest of the whole input set. Every other line is one finished item:
``{"i": index, "h": item hash, "r": result}``. Lines are appended whole, with one ``write`` per
window of finished items, so a killed process leaves at most one torn last line, which the next
run drops. The file is fsynced when created, at most every `FSYNC_INTERVAL` seconds while
running, and when the run ends.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import typing as t
import warnings
from array import array
from pathlib import Path

from rigging.error import CheckpointError, _safe_str
from rigging.logging import log
from rigging.tool._handler import ToolHandlerBase

if t.TYPE_CHECKING:
    from rigging._pipeline.base import PipelineBase
    from rigging.generator import GenerateParams, Generator

__all__ = [
    "CheckpointError",
    "CheckpointFile",
    "CheckpointMode",
    "ItemHasher",
    "pipeline_fingerprint",
    "result_json",
]

CheckpointMode = t.Literal["resume", "restart"]
"""``resume``: load finished items and run the rest (refusing a different pipeline or input
set); ``restart``: discard the file and start over."""

FORMAT = 1
"""Version of the file layout."""

FSYNC_INTERVAL = 1.0
"""Most seconds between two fsyncs of a running checkpoint."""

_HASH = re.compile(r"[0-9a-f]{16}")
"""An item hash as `encode_record` writes it."""

_DENSE_AHEAD = 1 << 16
"""Indices up to this far past the dense table's end extend it; farther ones go in a dict."""


def _canonical(value: t.Any) -> bytes:
    """Canonical JSON bytes; a lone surrogate (in an input or staged text) is hashed as it is.

    Strict UTF-8 raised `UnicodeEncodeError` for one, and the whole checkpointed run failed
    before any item ran, although the same batch runs without a checkpoint. Text without
    lone surrogates encodes as before, so existing fingerprints and item hashes stand.
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode("utf-8", "surrogatepass")


def _generator_id(generator: Generator) -> str:
    kind = f"{type(generator).__module__}.{type(generator).__qualname__}"
    inner = getattr(generator, "generator", None)  # a cache wrapper answers like what it wraps
    if inner is not None and hasattr(inner, "to_identifier"):
        kind = f"{type(inner).__module__}.{type(inner).__qualname__}"
    return f"{kind}|{generator.to_identifier()}"


def _callable_name(callback: t.Any) -> str:
    if callback is None:
        return "<parse>"
    name = getattr(callback, "__qualname__", None) or type(callback).__qualname__
    return f"{getattr(callback, '__module__', '')}.{name}"


def _handler_id(handler: t.Any) -> t.Any:
    """What decides a tool handler's answers: kind, tool schemas, depth, policy, time limits.

    Never the object's ``repr``, which may hold its address and so change in every process.
    """
    if not isinstance(handler, ToolHandlerBase):
        return _callable_name(handler)
    policy = handler.policy
    described = [
        type(handler).__qualname__,
        [[tool.name, tool.description, tool.schema] for tool in handler.tools.values()],
        handler.max_rounds,
        [policy.force, policy.attempt_recovery, policy.drop_dialog, policy.max_rounds],
    ]
    if handler.timeouts:  # only then: the fingerprints of pipelines without one stay as they were
        described.append(sorted(handler.timeouts.items()))
    return described


def _input_repr(item: t.Any) -> t.Any:
    if isinstance(item, str) or item is None:
        return item
    return [m.to_openai_spec() if hasattr(m, "to_openai_spec") else m for m in item]


def pipeline_fingerprint(pipeline: PipelineBase[t.Any, t.Any, t.Any], runner: str) -> str:
    """Digest of everything about a pipeline that decides its results (callbacks by name).

    Then and map callbacks and watchers are left out: they run on results, which are stored
    before them, so changing them never makes stored results stale.

    Args:
        pipeline: The pipeline.
        runner: ``"batch"``, ``"many"`` or ``"over"`` (the generator is per item for "over").

    Returns:
        A hex digest.
    """
    s = pipeline.settings
    document = {
        "kind": pipeline._result_type.__name__,
        "runner": runner,
        "generator": None if runner == "over" else _generator_id(pipeline.generator),
        "params": None if s.params is None else s.params.model_dump(mode="json"),
        "base": _input_repr(pipeline._base_input()),
        "untils": [
            [
                _callable_name(u.callback),
                u.attempt_recovery,
                u.drop_dialog,
                u.max_rounds,
                u.use_all_text,
            ]
            for u in s.untils
        ],
        "until_types": [_callable_name(m) for m in s.until_types],
        "tools": [_handler_id(h) for h in s.tool_handlers],
        "metadata": s.metadata,
    }
    return hashlib.sha256(_canonical(document)).hexdigest()


class ItemHasher:
    """64-bit hashes of items (own input part, merged params, generator for `run_over`)."""

    def __init__(self, base_length: int) -> None:
        self._base = base_length
        self._params: dict[int, tuple[GenerateParams, t.Any]] = {}

    def _params_dump(self, params: GenerateParams) -> t.Any:
        cached = self._params.get(id(params))
        if cached is None or cached[0] is not params:
            if len(self._params) > 1024:
                self._params.clear()
            cached = (params, params.model_dump(mode="json", exclude_none=True))
            self._params[id(params)] = cached
        return cached[1]

    def __call__(self, item: t.Any, params: GenerateParams, generator: Generator | None) -> int:
        """The item's hash (never 0, which marks "not done")."""
        own = item if isinstance(item, str) else item[self._base :]
        document = [
            _input_repr(own),
            self._params_dump(params),
            None if generator is None else _generator_id(generator),
        ]
        digest = hashlib.blake2b(_canonical(document), digest_size=8).digest()
        return int.from_bytes(digest, "little") or 1


class CheckpointFile:
    """One open checkpoint: what it already holds, and appending finished items."""

    def __init__(self, path: str | os.PathLike[str], header: dict[str, t.Any]) -> None:
        # Resolved, so a symlink (or a path through a symlinked directory) names the same
        # file and the same lock as the target: two runs never share a file unlocked.
        self.path = Path(os.path.realpath(path))
        self.header = {"rigging_checkpoint": FORMAT, **header}
        self.done = array("Q")
        """Item hash per index (0: not finished in an earlier run), up to the last one recorded
        close after the others; see `_far`."""
        self._far: dict[int, int] = {}
        """Item hashes of indices far past `done`'s end (an unsized run's records are sparse):
        memory stays bounded by the file's lines, whatever index a line names."""
        self.loaded = 0
        """Items finished in earlier runs."""
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._end = 0
        """Bytes of whole, written lines: where a failed write is cut back to."""
        self._torn = False
        """A write failed and could not be cut back: nothing may be appended after it."""
        self._synced = 0.0
        self._io_lock = threading.Lock()
        """Held by `append` and `close`: closing waits for a write in a worker thread."""

    # --- opening --------------------------------------------------------------------------------

    def open(
        self, mode: CheckpointMode, on_record: t.Callable[[int, dict[str, t.Any]], None]
    ) -> None:
        """Create the file, or load it (calling `on_record` per finished item) and verify it.

        Args:
            mode: ``"resume"`` or ``"restart"``.
            on_record: Called with the index and stored result of every finished item.

        Raises:
            CheckpointError: The file belongs to another pipeline or input set, or is damaged.
            ValueError: `mode` is not known.
        """
        if mode not in ("resume", "restart"):
            raise ValueError(f"checkpoint_mode must be 'resume' or 'restart', got {mode!r}")
        if not self.path.parent.is_dir():
            raise CheckpointError(f"checkpoint directory {str(self.path.parent)!r} does not exist")
        if self.path.is_dir():  # a restart used to leave its .tmp file beside it
            raise CheckpointError(f"checkpoint {str(self.path)!r} is a directory, not a file")
        try:
            self._lock()
            if mode == "restart" or not self.path.exists() or self.path.stat().st_size == 0:
                self._create()
                return
            good = self._load(on_record)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            if good < self.path.stat().st_size:  # a torn last line from a killed run
                os.ftruncate(self._fd, good)
            os.fsync(self._fd)
            self._end = good
        except BaseException as exc:
            self.close(quiet=True)
            if isinstance(exc, OSError):  # read-only, permissions, a full disk: name it
                raise CheckpointError(
                    f"checkpoint {str(self.path)!r} cannot be opened: {_os_error(exc)}"
                ) from exc
            raise

    def _lock(self) -> None:
        """Hold ``<path>.lock`` (flock) while running: two runs never share a checkpoint.

        The lock goes with the process, so a killed run never leaves it held. Where ``fcntl``
        does not exist (Windows) there is no such guard. The path is resolved (symlinks
        lead to the target's lock); a hard link is another name, with a lock of its own.
        """
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise CheckpointError(
                f"checkpoint {str(self.path)!r} is in use by another run (it holds "
                f"{str(lock_path)!r}); wait for that run to end or use another path"
            ) from None
        self._lock_fd = fd

    def _create(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        header = _canonical(self.header) + b"\n"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            try:
                _write_all(fd, header)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self._end = len(header)

    def _load(self, on_record: t.Callable[[int, dict[str, t.Any]], None]) -> int:
        """Read the file; returns the byte length of its whole, valid lines."""
        good = 0
        with self.path.open("rb") as file:
            first = file.readline()
            if not first.endswith(b"\n"):
                raise self._damaged("its header line is incomplete")
            self._check_header(first)
            good = len(first)
            for number, line in enumerate(file, start=2):
                if not line.endswith(b"\n"):
                    break  # torn by a kill: dropped, the item runs again
                self._record(line, number, on_record)
                good += len(line)
        return good

    def _damaged(self, why: str) -> CheckpointError:
        return CheckpointError(
            f"checkpoint {str(self.path)!r} cannot be resumed: {why}; "
            "pass checkpoint_mode='restart' to discard it and start over"
        )

    def _check_header(self, line: bytes) -> None:
        try:
            header = json.loads(line)
        except (ValueError, RecursionError):  # deeply nested: was a bare RecursionError
            raise self._damaged("its first line is not a checkpoint header") from None
        if not isinstance(header, dict) or header.get("rigging_checkpoint") != FORMAT:
            raise self._damaged("its first line is not a rigging checkpoint header")
        mine = self.header
        if header.get("pipeline") != mine.get("pipeline"):
            raise self._damaged(
                "it was written by a different pipeline (generator, params, staged content, "
                "checks, tools or metadata changed)"
            )
        if header.get("inputs") != mine.get("inputs") or header.get("count") != mine.get("count"):
            raise self._damaged(
                f"it was written for another input set ({header.get('count')} items then, "
                f"{mine.get('count')} now, or different inputs)"
            )

    def _record(
        self, line: bytes, number: int, on_record: t.Callable[[int, dict[str, t.Any]], None]
    ) -> None:
        """Load one finished item, refusing a line rigging would not have written.

        The index must be an int inside the input set (when its size is known) and the hash
        the 16 hex digits `encode_record` writes: a damaged line raised `IndexError` or
        `OverflowError`, or allocated memory for the index it named (`MemoryError`).
        """
        try:
            record = json.loads(line)
            index, hash_text, result = record["i"], record["h"], record["r"]
        except RecursionError:  # rigging writes at most ~255 levels; `json` reads ~1000
            raise self._damaged(f"line {number} is nested too deeply to be an item") from None
        except (ValueError, KeyError, TypeError):
            raise self._damaged(f"line {number} is not a finished item") from None
        count = self.header.get("count")
        if (
            type(index) is not int
            or index < 0
            or not isinstance(hash_text, str)
            or _HASH.fullmatch(hash_text) is None
            or not isinstance(result, dict)
        ):
            raise self._damaged(f"line {number} is not a finished item")
        if isinstance(count, int) and index >= count:
            raise self._damaged(f"line {number} names item {index} of a run of {count} items")
        item_hash = int(hash_text, 16)
        if not item_hash:
            raise self._damaged(f"line {number} is not a finished item")
        if self.finished_hash(index):
            return  # written twice (never by rigging itself): the first one stands
        if index < len(self.done) + _DENSE_AHEAD:
            if index >= len(self.done):
                self.done.frombytes(bytes(8 * (index + 1 - len(self.done))))
            self.done[index] = item_hash
        else:
            self._far[index] = item_hash
        self.loaded += 1
        on_record(index, result)

    # --- using ----------------------------------------------------------------------------------

    def finished_hash(self, index: int) -> int:
        """The stored hash of item `index` (0 when it did not finish earlier)."""
        return self.done[index] if index < len(self.done) else self._far.get(index, 0)

    def check_item(self, index: int, item_hash: int) -> bool:
        """Whether item `index` finished earlier; refuse it if its input changed since.

        Raises:
            CheckpointError: The item finished earlier with another input.
        """
        stored = self.finished_hash(index)
        if stored and stored != item_hash:
            raise self._damaged(f"input {index} differs from the one it holds")
        return bool(stored)

    def append(self, lines: list[bytes]) -> None:
        """Append whole lines with one write (fsync at most every `FSYNC_INTERVAL` s).

        Safe to call from a worker thread: `close` waits until the write has ended. (A run
        that writes in a thread cannot always wait for it: at shutdown ``asyncio.run``
        cancels the write's task too, and the run went on to close the file under it.)

        A write that fails (a full disk, a quota, an I/O error) is cut back to the last whole
        line, so the file stays resumable: the failed lines' items run again on resume. It
        used to leave half a line in the file, and the next append (the stopped windows'
        items) followed it on the same line, so every resume refused the file.

        Args:
            lines: Encoded records, each ending with a newline.

        Raises:
            CheckpointError: The checkpoint is closed, or the write failed.
        """
        data = b"".join(lines)
        with self._io_lock:
            fd = self._fd
            if fd is None:
                raise CheckpointError(f"checkpoint {str(self.path)!r} is closed")
            if self._torn:
                raise CheckpointError(
                    f"checkpoint {str(self.path)!r} is not written to any more: an earlier "
                    "write failed and could not be cut back"
                )
            self._check_in_place(fd, len(lines))
            try:
                _write_all(fd, data)
                now = time.monotonic()
                if now - self._synced >= FSYNC_INTERVAL:
                    os.fsync(fd)
                    self._synced = now
            except OSError as exc:
                self._cut_back(fd)
                raise CheckpointError(
                    f"checkpoint {str(self.path)!r} could not be written ({_os_error(exc)}); "
                    f"{len(lines)} finished item(s) were not recorded and run again on resume"
                ) from exc
            self._end += len(data)

    def _check_in_place(self, fd: int, count: int) -> None:
        """Refuse to write when the file or its lock is no longer at its path.

        A checkpoint (or its directory) deleted or replaced during the run used to take every
        later line into the unlinked file, lost without a word; and with its lock file gone,
        a second run could take a fresh lock on the same path.
        """
        held = [(fd, self.path)]
        if self._lock_fd is not None:
            held.append((self._lock_fd, self.path.with_name(self.path.name + ".lock")))
        for handle, path in held:
            try:
                now, had = os.stat(path), os.fstat(handle)
                same = (now.st_dev, now.st_ino) == (had.st_dev, had.st_ino)
            except OSError:
                same = False
            if not same:
                raise CheckpointError(
                    f"checkpoint {str(self.path)!r}: {str(path)!r} was removed or replaced "
                    f"during the run; {count} finished item(s) were not recorded and nothing "
                    "more is written (they run again on a resume)"
                )

    def _cut_back(self, fd: int) -> None:
        """Drop what a failed write left past the last whole line (or stop writing at all)."""
        try:
            os.ftruncate(fd, self._end)
        except OSError:
            self._torn = True  # a resume drops a torn last line; later lines would follow it

    def close(self, *, quiet: bool = False) -> None:
        """Fsync and close, then release the lock (idempotent; waits for an append going on).

        A failing fsync or close is a warning, not an error: the lines were written, only
        their durability against an OS crash is in doubt, and raising here cost a finished
        run its results. `quiet` leaves the warning out (an open that failed reports the
        problem once, as its error).
        """
        with self._io_lock:
            fd, self._fd = self._fd, None
            lock, self._lock_fd = self._lock_fd, None
        try:
            if fd is not None:
                try:
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                except OSError as exc:
                    if quiet:
                        return
                    message = (
                        f"checkpoint {str(self.path)!r} could not be synced to disk "
                        f"({_os_error(exc)}): its last records may not survive an OS crash"
                    )
                    log("warning", "Checkpoint: {}", message)
                    warnings.warn(message, RuntimeWarning, stacklevel=2)
        finally:
            if lock is not None:
                os.close(lock)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of `data` (``os.write`` may write less than it was given)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _os_error(exc: OSError) -> str:
    """An OS error as text naming the problem and the file (never a secret: paths only)."""
    what = exc.strerror or _safe_str(exc, named=True)
    return f"{what}: {exc.filename!r}" if exc.filename else what


def encode_record(index: int, item_hash: int, result_json: str) -> bytes:
    """One checkpoint line.

    Args:
        index: Input index.
        item_hash: The item's hash.
        result_json: The result as JSON text.

    Returns:
        The line, newline included.
    """
    return f'{{"i":{index},"h":"{item_hash:016x}","r":{result_json}}}\n'.encode()


def _json_exact(value: t.Any) -> bool:
    """Whether JSON gives `value` back as it is: dicts with str keys, lists, str, numbers."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return True
    if kind is list:
        return all(_json_exact(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _json_exact(item) for key, item in value.items())
    return False


def _free_form_exact(result: t.Any) -> bool:
    """Whether JSON gives back the free-form values of a result (metadata, extra)."""
    if (result.metadata and not _json_exact(result.metadata)) or (
        result.extra and not _json_exact(result.extra)
    ):
        return False
    for name in ("messages", "generated"):
        messages = getattr(result, name, None)
        if type(messages) is list:
            for message in messages:
                if message.metadata and not _json_exact(message.metadata):
                    return False
    return True


def _lost_in_json(result: t.Any, text: str) -> str | None:
    """Which field of `result` its JSON `text` does not give back, or None when all do.

    The full round trip (validate, compare) runs only when a cheap look finds a suspect: a
    U+FFFD in the text (a lone surrogate is written as one) or a free-form value JSON does
    not hold as it is (a set, tuple, datetime, Decimal, bytes, a non-str key).
    """
    if "\ufffd" not in text and _free_form_exact(result):
        return None
    data = {**json.loads(text), "generator": result.generator, "params": result.params}
    try:
        restored = type(result).model_validate(data)
    except ValueError as exc:  # pydantic's ValidationError
        return f"its JSON does not load back ({type(exc).__name__})"
    for name in result._EQ_FIELDS:
        if getattr(restored, name) != getattr(result, name):
            return (
                f"its {name!r} does not read back equal from JSON (a lone surrogate, or a "
                "set, tuple, datetime, Decimal, bytes or non-str key in free-form data)"
            )
    return None


def result_json(result: t.Any) -> tuple[str, None] | tuple[None, str]:
    """A finished result as checkpoint JSON, or why it cannot be recorded.

    A result is recorded only when loading its JSON gives it back equal, so a resumed run
    returns what the live run did; one that cannot be (its data does not serialise, or
    changes on the way) is returned by its run but not recorded, and runs again on resume.

    Args:
        result: A `Chat` or `Completion`.

    Returns:
        ``(json, None)``, or ``(None, reason)``.
    """
    try:
        text: str = result.model_dump_json(exclude={"generator_id"})
    except Exception as exc:  # serialisers of user values (extra, metadata, models) run here
        return None, f"it cannot be serialised ({_safe_str(exc, named=True)})"
    problem = _lost_in_json(result, text)
    return (text, None) if problem is None else (None, problem)
