//! Errors of the fan-out table.

use std::fmt;

use super::State;

/// The transition an in-flight item was asked to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// [`super::FanOut::complete`].
    Complete,
    /// [`super::FanOut::fail`].
    Fail,
    /// [`super::FanOut::again`].
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
    /// A table size that is negative or does not fit a `u32` index.
    BadSize {
        /// The size asked for.
        value: i128,
    },
    /// A `max_rounds` below 1 or above `u32::MAX`.
    BadMaxRounds {
        /// The value given.
        value: i128,
    },
    /// A `next_round` limit below 1.
    BadLimit {
        /// The value given.
        value: i128,
    },
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
    /// A negative index (callers whose integers are signed check them into this).
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
            FanOutErrorKind::BadSize { .. } => "bad_size",
            FanOutErrorKind::BadMaxRounds { .. } => "bad_max_rounds",
            FanOutErrorKind::BadLimit { .. } => "bad_limit",
            FanOutErrorKind::NothingReady { .. } => "nothing_ready",
            FanOutErrorKind::OutOfRange { .. } => "out_of_range",
            FanOutErrorKind::NegativeIndex { .. } => "negative_index",
            FanOutErrorKind::NotInFlight { .. } => "not_in_flight",
        }
    }
}

/// An impossible request to a [`super::FanOut`]; `index` is the item concerned, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanOutError {
    /// What went wrong.
    pub kind: FanOutErrorKind,
    /// The item index the request named, if any.
    pub index: Option<usize>,
}

impl FanOutError {
    /// An error about item `index`.
    pub(super) fn at(kind: FanOutErrorKind, index: usize) -> Self {
        Self {
            kind,
            index: Some(index),
        }
    }
}

impl From<FanOutErrorKind> for FanOutError {
    fn from(kind: FanOutErrorKind) -> Self {
        Self { kind, index: None }
    }
}

impl fmt::Display for FanOutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = self.index.unwrap_or_default();
        match &self.kind {
            FanOutErrorKind::BadSize { value } => write!(
                f,
                "size must be between 0 and {} items, got {value}",
                u32::MAX
            ),
            FanOutErrorKind::BadMaxRounds { value } => write!(
                f,
                "max_rounds (the number of sends per item) must be between 1 and {}, got {value}",
                u32::MAX
            ),
            FanOutErrorKind::BadLimit { value } => write!(
                f,
                "limit must be at least 1 (pass None for no limit), got {value}"
            ),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: FanOutErrorKind) -> String {
        FanOutError::from(kind).to_string()
    }

    #[test]
    fn argument_messages_name_the_value_and_the_range() {
        assert_eq!(
            message(FanOutErrorKind::NegativeIndex { value: -1 }),
            "item index must be non-negative, got -1"
        );
        assert_eq!(
            message(FanOutErrorKind::BadSize { value: -3 }),
            "size must be between 0 and 4294967295 items, got -3"
        );
        assert_eq!(
            message(FanOutErrorKind::BadMaxRounds { value: 1 << 40 }),
            "max_rounds (the number of sends per item) must be between 1 and 4294967295, \
             got 1099511627776"
        );
        let e = FanOutError::from(FanOutErrorKind::BadLimit { value: -2 });
        assert_eq!((e.kind.name(), e.index), ("bad_limit", None));
        assert_eq!(
            e.to_string(),
            "limit must be at least 1 (pass None for no limit), got -2"
        );
    }
}
