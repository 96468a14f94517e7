//! Unit tests of the fan-out table (kept beside it to hold `fanout.rs` to its size budget).

use super::*;

fn err_kind<T: fmt::Debug>(result: Result<T, FanOutError>) -> FanOutErrorKind {
    result.unwrap_err().kind
}

#[test]
fn walks_items_through_rounds() {
    let mut t = FanOut::new(4, 3).unwrap();
    assert_eq!(t.next_round(None).unwrap(), vec![0, 1, 2, 3]);
    assert_eq!(t.count(State::InFlight), 4);
    assert!(t.again(3).unwrap());
    assert!(t.again(1).unwrap());
    t.complete(0).unwrap();
    t.fail(2).unwrap();
    assert_eq!(t.drain_finished(), vec![0, 2]);
    // Items marked again come back in the order they were marked.
    assert_eq!(t.next_round(None).unwrap(), vec![3, 1]);
    assert_eq!(t.sends(3).unwrap(), 2);
    assert!(t.again(1).unwrap());
    t.complete(3).unwrap();
    assert_eq!(t.next_round(None).unwrap(), vec![1]);
    assert!(!t.again(1).unwrap());
    assert_eq!(t.state(1).unwrap(), State::Exhausted);
    assert_eq!(t.sends(1).unwrap(), 3);
    assert!(t.is_finished());
    assert_eq!(t.drain_finished(), vec![3, 1]);
    assert!(t.drain_finished().is_empty());
    assert_eq!(t.counts(), [0, 0, 0, 2, 1, 1]);
}

#[test]
fn limit_takes_pending_before_again() {
    let mut t = FanOut::new(5, 2).unwrap();
    assert_eq!(t.next_round(Some(2)).unwrap(), vec![0, 1]);
    assert!(t.again(0).unwrap());
    t.complete(1).unwrap();
    assert_eq!(t.next_round(Some(2)).unwrap(), vec![2, 3]);
    assert_eq!(t.next_round(Some(10)).unwrap(), vec![4, 0]);
    assert_eq!(t.ready_count(), 0);
    assert_eq!(t.count(State::InFlight), 4);
}

#[test]
fn max_rounds_one_exhausts_on_first_again() {
    let mut t = FanOut::new(1, 1).unwrap();
    t.next_round(None).unwrap();
    assert!(!t.again(0).unwrap());
    assert!(t.is_finished());
    assert_eq!(
        err_kind(t.next_round(None)),
        FanOutErrorKind::NothingReady {
            in_flight: 0,
            finished: 1
        }
    );
}

#[test]
fn empty_table_is_finished() {
    let mut t = FanOut::new(0, 1).unwrap();
    assert!(t.is_empty());
    assert!(t.is_finished());
    assert!(t.next_round(None).is_err());
}

#[test]
fn constructor_errors() {
    let e = FanOut::new(3, 0).unwrap_err();
    assert_eq!(e.kind.name(), "bad_max_rounds");
    assert_eq!(
        e.to_string(),
        "max_rounds (the number of sends per item) must be between 1 and 4294967295, got 0"
    );
    #[cfg(target_pointer_width = "64")]
    {
        let e = FanOut::new(u32::MAX as usize + 1, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "size must be between 0 and 4294967295 items, got 4294967296"
        );
    }
}

#[test]
fn transition_errors_name_item_and_state() {
    let mut t = FanOut::new(3, 2).unwrap();
    let e = t.complete(1).unwrap_err();
    assert_eq!(e.index, Some(1));
    assert_eq!(
        e.to_string(),
        "cannot complete item 1: it is pending (never sent), not in flight"
    );
    t.next_round(Some(1)).unwrap();
    t.complete(0).unwrap();
    assert_eq!(
        t.fail(0).unwrap_err().to_string(),
        "cannot fail item 0: it is done, not in flight"
    );
    assert_eq!(
        t.again(0).unwrap_err().to_string(),
        "cannot send again item 0: it is done, not in flight"
    );
    let e = t.state(7).unwrap_err();
    assert_eq!(e.kind.name(), "out_of_range");
    assert_eq!(
        e.to_string(),
        "item 7 is out of range for a table of 3 items"
    );
    assert!(t.sends(3).is_err());
    assert_eq!(
        t.next_round(Some(0)).unwrap_err().to_string(),
        "limit must be at least 1 (pass None for no limit), got 0"
    );
    t.next_round(None).unwrap();
    assert_eq!(
        t.next_round(None).unwrap_err().to_string(),
        "no item is ready for another round (2 in flight, 1 finished); \
         mark the in-flight items first"
    );
}

#[test]
fn failed_calls_change_nothing() {
    let mut t = FanOut::new(2, 2).unwrap();
    t.next_round(Some(1)).unwrap();
    let before = (t.counts(), t.states.clone(), t.sends.clone());
    assert!(t.complete(1).is_err());
    assert!(t.again(5).is_err());
    assert!(t.next_round(Some(0)).is_err());
    assert_eq!(before, (t.counts(), t.states.clone(), t.sends.clone()));
}

#[test]
fn mark_many_applies_in_order_and_stops_at_first_error() {
    let mut t = FanOut::new(4, 2).unwrap();
    t.next_round(None).unwrap();
    assert_eq!(
        t.mark_many(&[2, 0], Outcome::Again).unwrap(),
        [State::Again, State::Again]
    );
    assert_eq!(t.next_round(None).unwrap(), vec![2, 0]);
    assert_eq!(
        t.mark_many(&[0, 2], Outcome::Again).unwrap(),
        [State::Exhausted, State::Exhausted]
    );
    let e = t.mark_many(&[1, 1, 3], Outcome::Complete).unwrap_err();
    assert_eq!(e.index, Some(1));
    assert_eq!(
        e.to_string(),
        "cannot complete item 1: it is done, not in flight"
    );
    assert_eq!(
        t.state(3).unwrap(),
        State::InFlight,
        "items after the error are untouched"
    );
    assert_eq!(t.mark(3, Outcome::Fail).unwrap(), State::Failed);
    assert_eq!(t.drain_finished(), vec![0, 2, 1, 3]);
}

#[test]
fn state_names() {
    let names: Vec<_> = State::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "pending",
            "in_flight",
            "again",
            "done",
            "failed",
            "exhausted"
        ]
    );
    assert_eq!(State::Again.to_string(), "waiting for another round");
    assert!(State::Again.is_ready() && !State::InFlight.is_ready());
    assert!(State::Exhausted.is_finished() && !State::Again.is_finished());
}

#[test]
fn rounds_touch_only_their_items() {
    // 1M items, only a handful retried: later rounds return just those, and the again
    // queue never holds stale entries.
    let n = 1_000_000;
    let mut t = FanOut::new(n, 3).unwrap();
    let first = t.next_round(None).unwrap();
    assert_eq!(first.len(), n);
    for i in first {
        if i % 250_000 == 7 {
            assert!(t.again(i).unwrap());
        } else {
            t.complete(i).unwrap();
        }
    }
    assert_eq!(t.drain_finished().len(), n - 4);
    assert_eq!(t.again.len(), 4);
    assert_eq!(
        t.next_round(None).unwrap(),
        vec![7, 250_007, 500_007, 750_007]
    );
}
