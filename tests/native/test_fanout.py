"""FFI edges of `rigging._native.FanOut`: types, states, errors and their messages."""

from __future__ import annotations

import threading

import pytest

from rigging import error
from rigging._native import FanOut, FanOutError


def test_rounds_states_and_counts() -> None:
    table = FanOut(4, 2)
    assert len(table) == 4
    assert table.max_rounds == 2
    assert table.pending_count == 4
    assert table.ready_count == 4

    first = table.next_round()
    assert first == [0, 1, 2, 3]
    assert all(type(i) is int for i in first)
    assert table.in_flight_count == 4
    assert [table.state(i) for i in range(4)] == ["in_flight"] * 4

    table.complete(0)
    assert table.again(3) is True
    assert table.again(1) is True
    table.fail(2)
    assert (table.done_count, table.failed_count, table.again_count) == (1, 1, 2)
    assert table.drain_finished() == [0, 2]
    assert table.drain_finished() == []

    assert table.next_round() == [3, 1], "again items come back in the order they were marked"
    assert table.sends(3) == 2
    assert table.again(3) is False
    assert table.state(3) == "exhausted"
    assert table.exhausted_count == 1
    table.complete(1)
    assert table.is_finished()
    assert table.finished_count == 4
    assert table.drain_finished() == [3, 1]


def test_limit_takes_pending_first() -> None:
    table = FanOut(5, 3)
    assert table.next_round(2) == [0, 1]
    assert table.again(0)
    table.complete(1)
    assert table.next_round(limit=2) == [2, 3]
    assert table.next_round(limit=10) == [4, 0]
    assert table.state(0) == "in_flight"
    assert table.sends(0) == 2
    assert table.sends(4) == 1


def test_batch_marking() -> None:
    table = FanOut(6, 2)
    table.next_round()
    table.complete_many([0, 1])
    table.fail_many([2])
    assert table.again_many([5, 3, 4]) == [True, True, True]
    assert table.next_round() == [5, 3, 4]
    assert table.again_many([4, 5]) == [False, False]
    table.complete_many([])
    assert table.drain_finished() == [0, 1, 2, 4, 5]

    with pytest.raises(FanOutError) as info:
        table.complete_many([3, 3])
    assert str(info.value) == "cannot complete item 3: it is done, not in flight"
    assert info.value.index == 3
    assert table.state(3) == "done", "items before the bad one keep their new state"


def test_repr_lists_counts() -> None:
    table = FanOut(3, 2)
    table.next_round(1)
    assert repr(table) == (
        "FanOut(size=3, max_rounds=2, pending=2, in_flight=1, again=0, done=0, failed=0, "
        "exhausted=0)"
    )


def test_empty_table_is_finished() -> None:
    table = FanOut(0, 1)
    assert len(table) == 0
    assert table.is_finished()
    assert table.drain_finished() == []


def test_error_class_and_attributes() -> None:
    table = FanOut(2, 1)
    with pytest.raises(FanOutError) as info:
        table.complete(1)
    exc = info.value
    assert isinstance(exc, error.RiggingError)
    assert isinstance(exc, RuntimeError)
    assert exc.kind == "not_in_flight"
    assert exc.index == 1
    assert str(exc) == "cannot complete item 1: it is pending (never sent), not in flight"


@pytest.mark.parametrize(
    ("call", "kind", "index", "message"),
    [
        (
            lambda t: t.state(9),
            "out_of_range",
            9,
            "item 9 is out of range for a table of 3 items",
        ),
        (
            lambda t: t.sends(-1),
            "negative_index",
            None,
            "item index must be non-negative, got -1",
        ),
        (
            lambda t: t.fail(0),
            "not_in_flight",
            0,
            "cannot fail item 0: it is pending (never sent), not in flight",
        ),
        (
            lambda t: t.next_round(0),
            "bad_limit",
            None,
            "limit must be at least 1 (pass None for no limit), got 0",
        ),
        (
            lambda t: t.next_round(-4),
            "bad_limit",
            None,
            "limit must be at least 1 (pass None for no limit), got -4",
        ),
        (
            lambda t: t.again_many([0, -2]),
            "negative_index",
            None,
            "item index must be non-negative, got -2",
        ),
    ],
)
def test_bad_requests(call: object, kind: str, index: int | None, message: str) -> None:
    table = FanOut(3, 2)
    assert callable(call)
    with pytest.raises(FanOutError) as info:
        call(table)
    assert info.value.kind == kind
    assert info.value.index == index
    assert str(info.value) == message
    assert table.pending_count == 3, "a refused request changes nothing"


def test_transition_errors_name_the_state() -> None:
    table = FanOut(2, 2)
    table.next_round()
    assert table.again(0)
    table.fail(1)
    with pytest.raises(FanOutError, match=r"^cannot complete item 0: it is waiting for another"):
        table.complete(0)
    with pytest.raises(FanOutError, match=r"^cannot send again item 1: it is failed, not in"):
        table.again(1)
    table.next_round()
    with pytest.raises(
        FanOutError,
        match=r"^no item is ready for another round \(1 in flight, 1 finished\); mark the",
    ):
        table.next_round()


@pytest.mark.parametrize(
    ("size", "max_rounds", "kind", "message"),
    [
        (
            3,
            0,
            "bad_max_rounds",
            "max_rounds (the number of sends per item) must be between 1 and 4294967295, got 0",
        ),
        (
            3,
            -1,
            "bad_max_rounds",
            "max_rounds (the number of sends per item) must be between 1 and 4294967295, got -1",
        ),
        (-1, 2, "bad_size", "size must be between 0 and 4294967295 items, got -1"),
        (2**32, 2, "bad_size", "size must be between 0 and 4294967295 items, got 4294967296"),
    ],
)
def test_bad_construction(size: int, max_rounds: int, kind: str, message: str) -> None:
    with pytest.raises(FanOutError) as info:
        FanOut(size, max_rounds)
    assert info.value.kind == kind
    assert str(info.value) == message


def test_non_int_arguments_are_type_errors() -> None:
    with pytest.raises(TypeError):
        FanOut("3", 2)  # type: ignore[arg-type]
    table = FanOut(3, 2)
    with pytest.raises(TypeError):
        table.state(1.5)  # type: ignore[arg-type]


def test_is_final() -> None:
    with pytest.raises(TypeError):
        type("Sub", (FanOut,), {})


def test_large_rounds_with_another_thread_running() -> None:
    # Rounds and batches this big are processed with the GIL released; results must not
    # change while another Python thread runs.
    n = 200_000
    table = FanOut(n, 2)
    ticks: list[int] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks.append(1)

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        first = table.next_round()
        assert table.again_many(first[::2]) == [True] * (n // 2)
        table.complete_many(first[1::2])
        second = table.next_round()
    finally:
        stop.set()
        thread.join()
    assert first == list(range(n))
    assert second == list(range(0, n, 2))
    assert table.in_flight_count == n // 2
    assert ticks, "the other thread ran"
