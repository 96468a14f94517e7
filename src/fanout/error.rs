//! Errors of the fan-out table, and the checked conversions bindings use for signed integers.

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

/// A signed item index from a binding, as a table index.
pub fn index_from_signed(value: i64) -> Result<usize, FanOutError> {
    usize::try_from(value).map_err(|_| FanOutErrorKind::NegativeIndex { value }.into())
}

/// A signed table size from a binding (the upper bound is checked by [`super::FanOut::new`]).
pub fn size_from_signed(value: i64) -> Result<usize, FanOutError> {
    usize::try_from(value).map_err(|_| {
        FanOutErrorKind::BadSize {
            value: value.into(),
        }
        .into()
    })
}

/// A signed `max_rounds` from a binding (0 is rejected by [`super::FanOut::new`]).
pub fn max_rounds_from_signed(value: i64) -> Result<u32, FanOutError> {
    u32::try_from(value).map_err(|_| {
        FanOutErrorKind::BadMaxRounds {
            value: value.into(),
        }
        .into()
    })
}

/// A signed `next_round` limit from a binding (0 is rejected by `next_round`).
pub fn limit_from_signed(value: Option<i64>) -> Result<Option<usize>, FanOutError> {
    value
        .map(|v| {
            usize::try_from(v).map_err(|_| FanOutErrorKind::BadLimit { value: v.into() }.into())
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_conversions() {
        assert_eq!(index_from_signed(4), Ok(4));
        let e = index_from_signed(-1).unwrap_err();
        assert_eq!(e.index, None);
        assert_eq!(e.to_string(), "item index must be non-negative, got -1");
        assert_eq!(size_from_signed(0), Ok(0));
        assert_eq!(
            size_from_signed(-3).unwrap_err().to_string(),
            "size must be between 0 and 4294967295 items, got -3"
        );
        assert_eq!(max_rounds_from_signed(2), Ok(2));
        assert_eq!(
            max_rounds_from_signed(1 << 40).unwrap_err().to_string(),
            "max_rounds (the number of sends per item) must be between 1 and 4294967295, \
             got 1099511627776"
        );
        assert_eq!(limit_from_signed(None), Ok(None));
        assert_eq!(limit_from_signed(Some(5)), Ok(Some(5)));
        let e = limit_from_signed(Some(-2)).unwrap_err();
        assert_eq!(e.kind.name(), "bad_limit");
        assert_eq!(
            e.to_string(),
            "limit must be at least 1 (pass None for no limit), got -2"
        );
    }
}
