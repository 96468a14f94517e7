//! Hot paths of the rigging LLM framework.
//!
//! The crate is pure Rust first: every module here builds and tests without Python. The
//! `python` feature adds [`py`], a thin `PyO3` layer that only converts types and errors.
//!
//! - [`codec`]: read an element into a model validator's input and render models, by plan.
//! - [`scan`]: find `<tag …>inner</tag>` spans in model output, in one pass or chunk by chunk.
//! - [`dedent`]: what `textwrap.dedent` removes from message content, in one pass.
//! - [`parts`]: which parsed parts of a message stand alone (and may be normalised).
//! - [`strip`]: remove or replace spans of a text and remap the offsets of other spans.
//! - [`ident`]: parse and format generator connection strings (`provider!model,key=value`).
//! - [`fanout`]: per-item bookkeeping for batch runs that go through several rounds.
//! - [`surrogates`]: lone surrogates of Python `str`s carried through the core as U+FFFD.
//! - [`redact`]: which names hold secrets, and URL user-info masking (one rule for all output).
//! - [`offsets`]: byte offset to code-point offset mapping, so results slice Python `str`s.

pub mod codec;
pub mod crossed;
pub mod dedent;
pub mod fanout;
pub mod ident;
pub mod offsets;
pub mod parts;
pub mod redact;
pub mod scan;
pub mod strip;
pub mod surrogates;

#[cfg(feature = "python")]
mod py;
