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

mod error;

pub use error::{FanOutError, FanOutErrorKind, Outcome};

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
    /// How an error message describes an item in this state.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Pending => "pending (never sent)",
            State::InFlight => "in flight",
            State::Again => "waiting for another round",
            State::Done => "done",
            State::Failed => "failed",
            State::Exhausted => "exhausted (out of rounds)",
        })
    }
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
            return Err(FanOutErrorKind::BadMaxRounds { value: 0 }.into());
        }
        if u32::try_from(size).is_err() {
            let value = i128::try_from(size).unwrap_or(i128::MAX);
            return Err(FanOutErrorKind::BadSize { value }.into());
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
            return Err(FanOutErrorKind::BadLimit { value: 0 }.into());
        }
        let ready = self.ready_count();
        if ready == 0 {
            let kind = FanOutErrorKind::NothingReady {
                in_flight: self.count(State::InFlight),
                finished: self.finished_count(),
            };
            return Err(kind.into());
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

    /// Applies `outcome` to in-flight item `index` and returns its new state (`Again`, or
    /// `Exhausted` when an item that used all its sends asks for another round).
    pub fn mark(&mut self, index: usize, outcome: Outcome) -> Result<State, FanOutError> {
        match outcome {
            Outcome::Complete => self.complete(index).map(|()| State::Done),
            Outcome::Fail => self.fail(index).map(|()| State::Failed),
            Outcome::Again => self.again(index).map(|queued| {
                if queued {
                    State::Again
                } else {
                    State::Exhausted
                }
            }),
        }
    }

    /// Applies `outcome` to each item of `indices` in order and returns their new states.
    ///
    /// Stops at the first invalid item: the items before it keep their new state, so the
    /// error's index says where the batch stopped.
    pub fn mark_many(
        &mut self,
        indices: &[usize],
        outcome: Outcome,
    ) -> Result<Vec<State>, FanOutError> {
        indices.iter().map(|&i| self.mark(i, outcome)).collect()
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
            Err(FanOutError::at(kind, index))
        }
    }

    fn check_in_flight(&self, index: usize, outcome: Outcome) -> Result<(), FanOutError> {
        self.check_index(index)?;
        let state = self.states[index];
        if state == State::InFlight {
            Ok(())
        } else {
            let kind = FanOutErrorKind::NotInFlight { outcome, state };
            Err(FanOutError::at(kind, index))
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
mod tests;
