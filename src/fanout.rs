//! Per-item bookkeeping for batch runs that go through several rounds.
//!
//! A batch pipeline sends every item (chat) that needs generation to the model in one call per
//! round. After the call each item is done, failed, or needs another round, bounded by
//! `max_rounds` sends per item. [`FanOut`] answers "which items go next" in time proportional
//! to the items of that round, never by scanning all items:
//!
//! - items never sent are always a suffix of the index range (they leave it in index order),
//!   so a cursor stands for the whole pending queue;
//! - items marked again sit in a FIFO queue that holds nothing else;
//! - items that finish are appended to a list that [`FanOut::drain_finished`] hands out once.
//!
//! Memory is one byte of state and one `u32` send count per item, plus the two queues.
//!
//! ```
//! use _native::fanout::{FanOut, State};
//! let mut table = FanOut::new(3, 2).unwrap();
//! assert_eq!(table.next_round(None).unwrap(), vec![0, 1, 2]);
//! table.complete(0).unwrap();
//! assert!(table.again(1).unwrap());
//! table.fail(2).unwrap();
//! assert_eq!(table.next_round(None).unwrap(), vec![1]);
//! assert!(!table.again(1).unwrap()); // second send was the last one
//! assert_eq!(table.state(1).unwrap(), State::Exhausted);
//! assert!(table.is_finished());
//! assert_eq!(table.drain_finished(), vec![0, 2, 1]);
//! ```

use std::collections::VecDeque;
use std::fmt;

/// Where one item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum State {
    /// Never sent.
    Pending = 0,
    /// Sent in the current round, outcome not known yet.
    InFlight = 1,
    /// Needs another round and has sends left.
    Again = 2,
    /// Finished successfully.
    Done = 3,
    /// Finished with an error.
    Failed = 4,
    /// Asked for another round after using all `max_rounds` sends.
    Exhausted = 5,
}

impl State {
    /// Every state, in declaration order (the order of [`FanOut::counts`]).
    pub const ALL: [State; 6] = [
        State::Pending,
        State::InFlight,
        State::Again,
        State::Done,
        State::Failed,
        State::Exhausted,
    ];

    /// Lower-case name, as the Python API spells it.
    pub fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::InFlight => "in_flight",
            State::Again => "again",
            State::Done => "done",
            State::Failed => "failed",
            State::Exhausted => "exhausted",
        }
    }

    /// Done, failed or exhausted: no further transition is possible.
    pub fn is_finished(self) -> bool {
        matches!(self, State::Done | State::Failed | State::Exhausted)
    }

    /// Pending or again: eligible for the next round.
    pub fn is_ready(self) -> bool {
        matches!(self, State::Pending | State::Again)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name().replace('_', " ").as_str())
    }
}

/// The transition an in-flight item was asked to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// [`FanOut::complete`].
    Complete,
    /// [`FanOut::fail`].
    Fail,
    /// [`FanOut::again`].
    Again,
}

impl Outcome {
    fn verb(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Fail => "fail",
            Outcome::Again => "send again",
        }
    }
}

/// What went wrong; see [`FanOutError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FanOutErrorKind {
    /// `max_rounds` was 0.
    ZeroMaxRounds,
    /// More items than a `u32` index holds.
    TooManyItems {
        /// The requested size.
        size: usize,
    },
    /// `next_round` was given a limit of 0.
    ZeroLimit,
    /// `next_round` was called while no item is pending or marked again.
    NothingReady {
        /// Items currently in flight.
        in_flight: usize,
        /// Items that are done, failed or exhausted.
        finished: usize,
    },
    /// An index past the end of the table.
    OutOfRange {
        /// Number of items in the table.
        size: usize,
    },
    /// A negative index (from a binding whose integers are signed).
    NegativeIndex {
        /// The index given.
        value: i64,
    },
    /// `complete`, `fail` or `again` on an item that is not in flight.
    NotInFlight {
        /// The transition asked for.
        outcome: Outcome,
        /// The item's current state.
        state: State,
    },
}

impl FanOutErrorKind {
    /// Short snake-case name of the kind, stable for bindings and tests.
    pub fn name(&self) -> &'static str {
        match self {
            FanOutErrorKind::ZeroMaxRounds => "zero_max_rounds",
            FanOutErrorKind::TooManyItems { .. } => "too_many_items",
            FanOutErrorKind::ZeroLimit => "zero_limit",
            FanOutErrorKind::NothingReady { .. } => "nothing_ready",
            FanOutErrorKind::OutOfRange { .. } => "out_of_range",
            FanOutErrorKind::NegativeIndex { .. } => "negative_index",
            FanOutErrorKind::NotInFlight { .. } => "not_in_flight",
        }
    }
}

/// An impossible request to a [`FanOut`]; `index` is the item concerned, when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanOutError {
    /// What went wrong.
    pub kind: FanOutErrorKind,
    /// The item index the request named, if any.
    pub index: Option<usize>,
}

impl FanOutError {
    fn new(kind: FanOutErrorKind, index: Option<usize>) -> Self {
        Self { kind, index }
    }
}

impl fmt::Display for FanOutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = self.index.unwrap_or_default();
        match &self.kind {
            FanOutErrorKind::ZeroMaxRounds => {
                f.write_str("max_rounds must be at least 1 (it is the number of sends per item)")
            }
            FanOutErrorKind::TooManyItems { size } => write!(
                f,
                "a fan-out table holds at most {} items, got {size}",
                u32::MAX
            ),
            FanOutErrorKind::ZeroLimit => {
                f.write_str("limit must be at least 1 (pass None for no limit)")
            }
            FanOutErrorKind::NothingReady {
                in_flight,
                finished,
            } => write!(
                f,
                "no item is ready for another round ({in_flight} in flight, {finished} finished); \
                 mark the in-flight items first"
            ),
            FanOutErrorKind::OutOfRange { size } => write!(
                f,
                "item {index} is out of range for a table of {size} items"
            ),
            FanOutErrorKind::NegativeIndex { value } => {
                write!(f, "item index must be non-negative, got {value}")
            }
            FanOutErrorKind::NotInFlight { outcome, state } => write!(
                f,
                "cannot {} item {index}: it is {state}, not in flight",
                outcome.verb()
            ),
        }
    }
}

impl std::error::Error for FanOutError {}

/// Converts a signed index from a binding into a table index.
pub fn index_from_signed(value: i64) -> Result<usize, FanOutError> {
    usize::try_from(value)
        .map_err(|_| FanOutError::new(FanOutErrorKind::NegativeIndex { value }, None))
}

/// Per-item state table for a batch that runs in rounds.
#[derive(Debug, Clone)]
pub struct FanOut {
    states: Vec<State>,
    sends: Vec<u32>,
    max_rounds: u32,
    /// Items `next_pending..len` are exactly the pending ones.
    next_pending: usize,
    /// Exactly the items in state `Again`, in the order they were marked.
    again: VecDeque<u32>,
    /// Items finished since the last drain, in the order they finished.
    finished: Vec<u32>,
    counts: [usize; 6],
}

impl FanOut {
    /// A table of `size` pending items that may each be sent up to `max_rounds` times.
    pub fn new(size: usize, max_rounds: u32) -> Result<Self, FanOutError> {
        if max_rounds == 0 {
            return Err(FanOutError::new(FanOutErrorKind::ZeroMaxRounds, None));
        }
        if u32::try_from(size).is_err() {
            return Err(FanOutError::new(
                FanOutErrorKind::TooManyItems { size },
                None,
            ));
        }
        let mut counts = [0; 6];
        counts[State::Pending as usize] = size;
        Ok(Self {
            states: vec![State::Pending; size],
            sends: vec![0; size],
            max_rounds,
            next_pending: 0,
            again: VecDeque::new(),
            finished: Vec::new(),
            counts,
        })
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// True for a table of no items.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The maximum number of sends per item.
    pub fn max_rounds(&self) -> u32 {
        self.max_rounds
    }

    /// Takes up to `limit` ready items (all when `None`), marks them in flight and counts a send.
    ///
    /// Pending items come first in index order, then items marked again in the order they were
    /// marked. Fails when `limit` is 0 or when no item is ready. Runs in time proportional to
    /// the number of items returned.
    pub fn next_round(&mut self, limit: Option<usize>) -> Result<Vec<usize>, FanOutError> {
        if limit == Some(0) {
            return Err(FanOutError::new(FanOutErrorKind::ZeroLimit, None));
        }
        let ready = self.ready_count();
        if ready == 0 {
            let kind = FanOutErrorKind::NothingReady {
                in_flight: self.count(State::InFlight),
                finished: self.finished_count(),
            };
            return Err(FanOutError::new(kind, None));
        }
        let take = limit.map_or(ready, |limit| limit.min(ready));
        let mut round = Vec::with_capacity(take);
        let from_pending = take.min(self.len() - self.next_pending);
        round.extend(self.next_pending..self.next_pending + from_pending);
        self.next_pending += from_pending;
        round.extend(self.again.drain(..take - from_pending).map(|i| i as usize));
        for &i in &round {
            self.states[i] = State::InFlight;
            self.sends[i] += 1;
        }
        self.counts[State::Pending as usize] -= from_pending;
        self.counts[State::Again as usize] -= take - from_pending;
        self.counts[State::InFlight as usize] += take;
        Ok(round)
    }

    /// Marks in-flight item `index` as done.
    pub fn complete(&mut self, index: usize) -> Result<(), FanOutError> {
        self.finish(index, Outcome::Complete, State::Done)
    }

    /// Marks in-flight item `index` as failed.
    pub fn fail(&mut self, index: usize) -> Result<(), FanOutError> {
        self.finish(index, Outcome::Fail, State::Failed)
    }

    /// Asks for another round for in-flight item `index`.
    ///
    /// Returns `true` when the item is queued again, `false` when it already used
    /// `max_rounds` sends; it is then exhausted (a finished state).
    pub fn again(&mut self, index: usize) -> Result<bool, FanOutError> {
        self.check_in_flight(index, Outcome::Again)?;
        if self.sends[index] >= self.max_rounds {
            self.set_finished(index, State::Exhausted);
            return Ok(false);
        }
        self.states[index] = State::Again;
        self.counts[State::InFlight as usize] -= 1;
        self.counts[State::Again as usize] += 1;
        self.again.push_back(index as u32);
        Ok(true)
    }

    /// The state of item `index`.
    pub fn state(&self, index: usize) -> Result<State, FanOutError> {
        self.check_index(index)?;
        Ok(self.states[index])
    }

    /// How many times item `index` was sent.
    pub fn sends(&self, index: usize) -> Result<u32, FanOutError> {
        self.check_index(index)?;
        Ok(self.sends[index])
    }

    /// Number of items in `state`.
    pub fn count(&self, state: State) -> usize {
        self.counts[state as usize]
    }

    /// Counts of every state, in the order of [`State::ALL`].
    pub fn counts(&self) -> [usize; 6] {
        self.counts
    }

    /// Items that the next round may take (pending or again).
    pub fn ready_count(&self) -> usize {
        self.count(State::Pending) + self.count(State::Again)
    }

    /// Items that are done, failed or exhausted.
    pub fn finished_count(&self) -> usize {
        self.count(State::Done) + self.count(State::Failed) + self.count(State::Exhausted)
    }

    /// True when every item is done, failed or exhausted.
    pub fn is_finished(&self) -> bool {
        self.finished_count() == self.len()
    }

    /// Items that finished since the last drain, in the order they finished.
    pub fn drain_finished(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.finished)
            .into_iter()
            .map(|i| i as usize)
            .collect()
    }

    fn check_index(&self, index: usize) -> Result<(), FanOutError> {
        if index < self.len() {
            Ok(())
        } else {
            let kind = FanOutErrorKind::OutOfRange { size: self.len() };
            Err(FanOutError::new(kind, Some(index)))
        }
    }

    fn check_in_flight(&self, index: usize, outcome: Outcome) -> Result<(), FanOutError> {
        self.check_index(index)?;
        let state = self.states[index];
        if state == State::InFlight {
            Ok(())
        } else {
            let kind = FanOutErrorKind::NotInFlight { outcome, state };
            Err(FanOutError::new(kind, Some(index)))
        }
    }

    fn finish(&mut self, index: usize, outcome: Outcome, to: State) -> Result<(), FanOutError> {
        self.check_in_flight(index, outcome)?;
        self.set_finished(index, to);
        Ok(())
    }

    /// Moves in-flight `index` to the finished state `to`.
    fn set_finished(&mut self, index: usize, to: State) {
        self.states[index] = to;
        self.counts[State::InFlight as usize] -= 1;
        self.counts[to as usize] += 1;
        self.finished.push(index as u32);
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(e.kind.name(), "zero_max_rounds");
        assert_eq!(
            e.to_string(),
            "max_rounds must be at least 1 (it is the number of sends per item)"
        );
        #[cfg(target_pointer_width = "64")]
        {
            let e = FanOut::new(u32::MAX as usize + 1, 1).unwrap_err();
            assert_eq!(
                e.to_string(),
                "a fan-out table holds at most 4294967295 items, got 4294967296"
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
            "cannot complete item 1: it is pending, not in flight"
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
            "limit must be at least 1 (pass None for no limit)"
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
    fn signed_indexes() {
        assert_eq!(index_from_signed(4).unwrap(), 4);
        let e = index_from_signed(-1).unwrap_err();
        assert_eq!(e.index, None);
        assert_eq!(e.to_string(), "item index must be non-negative, got -1");
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
        assert_eq!(State::InFlight.to_string(), "in flight");
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
}
