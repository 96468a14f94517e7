//! Python's signed integers to the core's unsigned indices, sizes and offsets.
//!
//! The core takes `usize`/`u32` and never sees a negative number; the bindings extract
//! `i64`s (so a negative argument gets a message naming it, not `PyO3`'s overflow error) and
//! check them here. The errors are the core's where one fits ([`FanOutError`]), else
//! [`NegativeOffset`]; [`super::errors`] turns both into Python exceptions.

use std::fmt;

use crate::fanout::{FanOutError, FanOutErrorKind};

/// An item index of a `FanOut` table.
pub(crate) fn index(value: i64) -> Result<usize, FanOutError> {
    usize::try_from(value).map_err(|_| FanOutErrorKind::NegativeIndex { value }.into())
}

/// Item indices of a `FanOut` table; the first negative one is the error.
pub(crate) fn indices(values: Vec<i64>) -> Result<Vec<usize>, FanOutError> {
    values.into_iter().map(index).collect()
}

/// A `FanOut` table size (the upper bound is checked by `FanOut::new`).
pub(crate) fn size(value: i64) -> Result<usize, FanOutError> {
    usize::try_from(value).map_err(|_| {
        FanOutErrorKind::BadSize {
            value: value.into(),
        }
        .into()
    })
}

/// A `FanOut` `max_rounds` (0 is rejected by `FanOut::new`).
pub(crate) fn max_rounds(value: i64) -> Result<u32, FanOutError> {
    u32::try_from(value).map_err(|_| {
        FanOutErrorKind::BadMaxRounds {
            value: value.into(),
        }
        .into()
    })
}

/// A `FanOut.next_round` limit (0 is rejected by `next_round`).
pub(crate) fn limit(value: Option<i64>) -> Result<Option<usize>, FanOutError> {
    value
        .map(|v| {
            usize::try_from(v).map_err(|_| FanOutErrorKind::BadLimit { value: v.into() }.into())
        })
        .transpose()
}

/// A `(start, end)` pair given to `splice` or `strip_spans` with a negative offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NegativeOffset {
    /// What the pair is (`"edit"`, `"span"`, `"range to remove"`).
    pub(crate) what: &'static str,
    /// Its position in the argument.
    pub(crate) index: usize,
    /// The pair as given.
    pub(crate) pair: (i64, i64),
    /// The text's length in code points.
    pub(crate) len: usize,
}

impl fmt::Display for NegativeOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            what,
            index,
            pair: (start, end),
            len,
        } = self;
        write!(
            f,
            "{what} {index} ({start}, {end}) has a negative offset in the text of length {len} \
             (expected 0 <= start <= end <= {len})"
        )
    }
}

/// Code-point offset pairs into a text of `len` code points as `usize`s; the first pair with
/// a negative offset is the error.
pub(crate) fn offsets(
    len: usize,
    what: &'static str,
    pairs: Vec<(i64, i64)>,
) -> Result<Vec<(usize, usize)>, NegativeOffset> {
    pairs
        .into_iter()
        .enumerate()
        .map(
            |(index, (start, end))| match (usize::try_from(start), usize::try_from(end)) {
                (Ok(s), Ok(e)) => Ok((s, e)),
                _ => Err(NegativeOffset {
                    what,
                    index,
                    pair: (start, end),
                    len,
                }),
            },
        )
        .collect()
}
