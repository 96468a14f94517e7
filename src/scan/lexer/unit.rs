//! What the [`Lexer`](super::Lexer) counts its offsets in: code points or bytes.

use crate::offsets::{is_char_start, ByteToChar};

/// What the lexer counts its offsets in.
pub(crate) trait Unit {
    /// Offsets inside one chunk.
    type Conv<'a>;

    /// The converter of `chunk`.
    fn conv(chunk: &[u8]) -> Self::Conv<'_>;

    /// Offset of byte `i` of the chunk from the start of the chunk. Queries of one chunk come
    /// in non-decreasing order.
    fn at(conv: &mut Self::Conv<'_>, i: usize) -> usize;

    /// Length of a whole chunk, counted without a converter.
    fn len(chunk: &[u8]) -> usize;
}

/// Code points (a character split by the end of a chunk counts in the chunk of its first
/// byte): offsets that slice a Python `str`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chars;

impl Unit for Chars {
    type Conv<'a> = ByteToChar<'a>;

    #[inline]
    fn conv(chunk: &[u8]) -> ByteToChar<'_> {
        ByteToChar::new(chunk)
    }

    #[inline]
    fn at(conv: &mut ByteToChar<'_>, i: usize) -> usize {
        conv.char_at(i)
    }

    #[inline]
    fn len(chunk: &[u8]) -> usize {
        chunk.iter().filter(|&&b| is_char_start(b)).count()
    }
}

/// Bytes: nothing to count (the offsets of `<` and `>` are character boundaries).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bytes;

impl Unit for Bytes {
    type Conv<'a> = ();

    #[inline]
    fn conv(_chunk: &[u8]) {}

    #[inline]
    fn at((): &mut (), i: usize) -> usize {
        i
    }

    #[inline]
    fn len(chunk: &[u8]) -> usize {
        chunk.len()
    }
}
