//! [`TagSet`]: the validated tag names and the tables the lexer matches names with.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::ScanError;

/// `true` for the bytes a tag name may hold: ASCII letters and digits, `-`, `_`, `.`, `:`.
#[inline]
pub(crate) fn is_name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)]
}

/// [`is_name_byte`] as a table (one load instead of a chain of range checks).
static NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':');
        b += 1;
    }
    table
};

/// FNV-1a: tag names are a few bytes long and chosen by the caller, not by the text being
/// scanned (a lookup key is at most one byte longer than the longest name), so a simple fast
/// hash beats the default `SipHash` here without opening a flooding hole.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameHasher(u64);

impl Default for NameHasher {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        // The length prefix of a slice key: one round instead of eight.
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x0100_0000_01b3);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A name of the set, ready for a direct comparison with the text.
#[derive(Debug, Clone)]
struct Candidate {
    tag: usize,
    name: Box<[u8]>,
    /// The first (up to) 8 bytes of the name, little-endian, and the mask that keeps them.
    head: u64,
    mask: u64,
}

/// Past this many names sharing a first byte, [`TagSet::name_at`] hashes instead of comparing.
const MAX_BUCKET: usize = 4;

/// The tag names to look for. A name given twice is kept once, at its first index.
#[derive(Debug, Clone, Default)]
pub struct TagSet {
    names: Vec<String>,
    index: HashMap<Box<[u8]>, usize, BuildHasherDefault<NameHasher>>,
    max_len: usize,
    /// Bit `b` of word `b / 64` is set when some name starts with byte `b`.
    first: [u64; 2],
    /// The distinct names by first byte (names are ASCII, so 128 buckets).
    buckets: Vec<Vec<Candidate>>,
    /// Names whose candidates are the outermost elements (see [`TagSet::mark_outermost`]).
    outermost: Vec<String>,
}

impl TagSet {
    /// Validates `names` and builds the lookup table.
    ///
    /// ```
    /// use _native::scan::TagSet;
    /// assert!(TagSet::new(["fun-fact", "item.v2", "ns:x"]).is_ok());
    /// let err = TagSet::new(["ok", "bad tag"]).unwrap_err();
    /// assert!(err.to_string().contains("\"bad tag\""));
    /// ```
    pub fn new<I, S>(names: I) -> Result<Self, ScanError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = Self::default();
        for name in names {
            let name = name.as_ref();
            if let Some(position) = name
                .chars()
                .position(|c| !c.is_ascii() || !is_name_byte(c as u8))
            {
                return Err(ScanError::InvalidTagName {
                    name: name.to_owned(),
                    position,
                });
            }
            if name.is_empty() {
                return Err(ScanError::InvalidTagName {
                    name: String::new(),
                    position: 0,
                });
            }
            let next = set.names.len();
            if !set.index.contains_key(name.as_bytes()) {
                set.index.insert(name.as_bytes().into(), next);
                set.add_candidate(next, name.as_bytes());
            }
            set.names.push(name.to_owned());
            set.max_len = set.max_len.max(name.len());
            if let Some(&b) = name.as_bytes().first() {
                set.first[usize::from(b >> 6)] |= 1 << (b & 63);
            }
        }
        Ok(set)
    }

    fn add_candidate(&mut self, tag: usize, name: &[u8]) {
        let mut head = [0; 8];
        let n = name.len().min(8);
        head[..n].copy_from_slice(&name[..n]);
        let mask = if n == 8 { u64::MAX } else { (1 << (8 * n)) - 1 };
        if self.buckets.is_empty() {
            self.buckets = vec![Vec::new(); 128];
        }
        if let Some(bucket) = name
            .first()
            .and_then(|&b| self.buckets.get_mut(usize::from(b)))
        {
            bucket.push(Candidate {
                tag,
                name: name.into(),
                head: u64::from_le_bytes(head),
                mask,
            });
        }
    }

    /// Make the elements named `name` candidates when outermost rather than innermost: for a
    /// model that nests in itself (a tree of `<node>`), the nested elements are its own parts,
    /// not echoes around an answer. Unknown names are ignored.
    ///
    /// ```
    /// use _native::scan::{candidates, TagSet};
    /// let mut tags = TagSet::new(["node"])?;
    /// tags.mark_outermost("node");
    /// let found = candidates("<node><node/><node>x</node></node>", &tags);
    /// assert_eq!(found[0].iter().map(|c| c.span.start).collect::<Vec<_>>(), vec![0]);
    /// # Ok::<(), _native::scan::ScanError>(())
    /// ```
    pub fn mark_outermost(&mut self, name: &str) {
        if self.names.iter().any(|n| n == name) && !self.outermost.iter().any(|n| n == name) {
            self.outermost.push(name.to_owned());
        }
    }

    /// Whether the name at `index` has outermost candidates.
    pub fn is_outermost(&self, index: usize) -> bool {
        self.names
            .get(index)
            .is_some_and(|name| self.outermost.iter().any(|n| n == name))
    }

    /// The names in the order given (duplicates included, so indices stay as given).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of names given.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// `true` when no name was given.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name at `index` (as given to [`TagSet::new`]).
    pub fn name(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(String::as_str)
    }

    /// Index of the tag called `name`, if it is in the set.
    #[inline]
    pub(crate) fn lookup(&self, name: &[u8]) -> Option<usize> {
        if name.len() > self.max_len {
            return None;
        }
        self.index.get(name).copied()
    }

    /// `true` when some name starts with `b` (so a `<` followed by another byte is not one
    /// of our tags).
    #[inline]
    pub(crate) fn may_start(&self, b: u8) -> bool {
        b < 128 && self.first[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    /// The tag whose name starts `rest` and ends before a byte that is not a name byte, and
    /// the name's length; `None` when no name of the set does.
    ///
    /// `rest` must hold at least [`Self::direct_len`] bytes, so the byte after any name is
    /// there to look at. A name ends where its maximal run of name bytes does, so at most one
    /// name can match; with few names per first byte they are compared directly (8 bytes at
    /// a time), otherwise the run is hashed.
    // On the path of every `<`, one call site per lexer unit: with two units LLVM stopped
    // inlining it, which cost the code-point scan 5% (callgrind).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub(crate) fn name_at(&self, rest: &[u8]) -> Option<(usize, usize)> {
        let first = *rest.first()?;
        let bucket = self.buckets.get(usize::from(first))?;
        if bucket.len() > MAX_BUCKET {
            let limit = rest.len().min(self.max_len + 1);
            let len = rest[..limit].iter().position(|&b| !is_name_byte(b))?;
            return self.lookup(&rest[..len]).map(|tag| (tag, len));
        }
        let mut head = [0; 8];
        head.copy_from_slice(rest.get(..8)?);
        let head = u64::from_le_bytes(head);
        bucket.iter().find_map(|c| {
            let len = c.name.len();
            let same = head & c.mask == c.head && (len <= 8 || rest.get(8..len)? == &c.name[8..]);
            (same && !is_name_byte(*rest.get(len)?)).then_some((c.tag, len))
        })
    }

    /// How many bytes [`Self::name_at`] needs to decide.
    #[inline]
    pub(crate) fn direct_len(&self) -> usize {
        self.max_len.max(7) + 1
    }

    /// Length in bytes of the longest name (names longer than this cannot match).
    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }
}
