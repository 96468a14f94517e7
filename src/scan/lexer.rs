//! Incremental byte state machine that turns text into start, self-closing and end tag events.
//!
//! The lexer keeps no text: only its state, the offset of the current candidate's `<` and the
//! bytes of a tag name (at most one more than the longest name in the set). Text between
//! `<`s, comment and CDATA bodies and quoted attribute values are skipped with memchr.
//! A byte that breaks a candidate is handed back to the text state, which only cares about
//! `<`; so every byte is examined at most twice and nothing is ever re-scanned.
//!
//! Offsets are counted in a [`Unit`]: code points ([`Chars`], what streams report, converted
//! while each chunk is at hand) or bytes ([`Bytes`], for a caller that converts only the
//! offsets it keeps).

mod states;
mod unit;

use std::marker::PhantomData;

use memchr::{memchr, memchr2};

use super::{is_name_byte, TagSet};
use states::{Kind, State, Step};
pub(crate) use unit::{Bytes, Chars, Unit};

/// A tag found by the lexer; offsets are in the lexer's [`Unit`] from the start of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// `<tag …>`: `start` is the `<`, `end` is just past the `>`.
    Start {
        tag: usize,
        start: usize,
        end: usize,
    },
    /// `<tag …/>`.
    SelfClose {
        tag: usize,
        start: usize,
        end: usize,
    },
    /// `</tag>`.
    End {
        tag: usize,
        start: usize,
        end: usize,
    },
}

/// Pieces up to this many bytes take the plain-text fast path of [`Lexer::feed`].
const SHORT_PIECE: usize = 32;

/// The tag lexer, with offsets in `U`. Feed it chunks in order; it reports events through a
/// callback.
#[derive(Debug, Clone)]
pub(crate) struct Lexer<U> {
    state: State,
    name: Vec<u8>,
    name_cap: usize,
    tag: usize,
    candidate_start: usize,
    /// Offset of the start of the chunk being lexed (after `feed`, of the end of the input).
    pos: usize,
    work: u64,
    unit: PhantomData<U>,
}

impl<U: Unit> Lexer<U> {
    pub(crate) fn new(tags: &TagSet) -> Self {
        let name_cap = tags.max_len() + 1;
        Self {
            state: State::Text,
            name: Vec::with_capacity(name_cap),
            name_cap,
            tag: 0,
            candidate_start: 0,
            pos: 0,
            work: 0,
            unit: PhantomData,
        }
    }

    /// Input consumed so far, in `U` (in [`Chars`], a character split at the end of the last
    /// chunk counts).
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes examined so far (a byte looked at twice counts twice).
    pub(crate) fn work(&self) -> u64 {
        self.work
    }

    /// Lexes `chunk`, the next bytes of the stream, calling `emit` for each complete tag.
    #[inline]
    pub(crate) fn feed(&mut self, tags: &TagSet, chunk: &[u8], emit: &mut impl FnMut(Event)) {
        // A short piece of plain text (most pieces of a token stream): no `<`, so nothing but
        // counting. Skipping the converter, memchr set-up and the general loop's frame makes a
        // 4-byte piece several times cheaper; the outcome is the one of the general loop.
        if self.state == State::Text
            && chunk.len() <= SHORT_PIECE
            && chunk.iter().all(|&b| b != b'<')
        {
            self.work += chunk.len() as u64;
            self.pos += U::len(chunk);
            return;
        }
        self.feed_general(tags, chunk, emit);
    }

    /// [`Self::feed`] for any piece.
    #[inline(never)]
    fn feed_general(&mut self, tags: &TagSet, chunk: &[u8], emit: &mut impl FnMut(Event)) {
        let mut conv = U::conv(chunk);
        let mut i = 0;
        while i < chunk.len() {
            if self.state == State::Text {
                let Some(k) = memchr(b'<', &chunk[i..]) else {
                    self.work += (chunk.len() - i) as u64;
                    break;
                };
                self.work += k as u64 + 1;
                i = self.open_tag(tags, chunk, i + k, &mut conv, emit);
                continue;
            }
            if let Some(skip) = self.skip(&chunk[i..]) {
                self.work += skip as u64;
                i += skip;
                if i == chunk.len() {
                    break;
                }
            }
            let b = chunk[i];
            self.work += 1;
            match self.step(tags, b) {
                Step::Next => i += 1,
                Step::Again => self.state = State::Text,
                Step::Emit(kind) => {
                    let end = self.pos + U::at(&mut conv, i) + 1;
                    emit(self.event(kind, end));
                    self.state = State::Text;
                    i += 1;
                }
            }
        }
        self.pos += U::at(&mut conv, chunk.len());
    }

    /// Handles the `<` at `lt` (text state) and returns where to go on.
    ///
    /// The name is matched straight in the chunk, and the outcome is exactly what the byte
    /// states would reach, without going through them. A candidate that cannot be ours (first
    /// byte no name starts with, no name of the set ending where the run of name bytes ends,
    /// or followed by a byte that cannot follow a name) is dropped there and then: the text
    /// state only looks for `<`, which no name byte is, so resuming anywhere up to the byte
    /// that would have broken the candidate is the same. The offset of `<` is only computed
    /// for a name that matched. Only a candidate cut by the end of the chunk is handed to the
    /// byte states.
    #[inline]
    fn open_tag(
        &mut self,
        tags: &TagSet,
        chunk: &[u8],
        lt: usize,
        conv: &mut U::Conv<'_>,
        emit: &mut impl FnMut(Event),
    ) -> usize {
        let after = lt + 1;
        let (end_tag, name_at) = match chunk.get(after) {
            None => return self.enter(State::Lt, lt, conv, after),
            Some(b'/') => (true, after + 1),
            Some(b'!') => {
                self.work += 1;
                self.state = State::Bang;
                return after + 1;
            }
            Some(_) => (false, after),
        };
        let Some(&first) = chunk.get(name_at) else {
            return self.enter(State::EndLt, lt, conv, name_at);
        };
        if !tags.may_start(first) {
            self.work += (name_at - lt) as u64;
            return name_at;
        }
        let (tag, stop) = match self.tag_name(tags, chunk, lt, name_at, end_tag, conv) {
            Ok(found) => found,
            Err(next) => return next,
        };
        self.after_name(chunk, (lt, stop), tag, end_tag, conv, emit)
    }

    /// The tag of the set named at `name_at` (a byte some name starts with) and the index
    /// past the name, `Ok((tag, stop))`; `Err(next)`, where to go on, when there is none.
    #[inline]
    fn tag_name(
        &mut self,
        tags: &TagSet,
        chunk: &[u8],
        lt: usize,
        name_at: usize,
        end_tag: bool,
        conv: &mut U::Conv<'_>,
    ) -> Result<(usize, usize), usize> {
        if chunk.len() - name_at < tags.direct_len() {
            return self.name_near_end(tags, chunk, lt, name_at, end_tag, conv);
        }
        let Some((tag, len)) = tags.name_at(&chunk[name_at..]) else {
            self.work += (name_at - lt) as u64;
            return Err(name_at);
        };
        self.work += (name_at + len - lt) as u64;
        Ok((tag, name_at + len))
    }

    /// [`Self::open_tag`] once the name of `tag` is read, from `lt` to `stop`: the byte after
    /// it ends the tag (emitted here), enters the attribute or end-tag byte states, or drops
    /// the candidate. Returns where to go on.
    #[inline]
    fn after_name(
        &mut self,
        chunk: &[u8],
        (lt, stop): (usize, usize),
        tag: usize,
        end_tag: bool,
        conv: &mut U::Conv<'_>,
        emit: &mut impl FnMut(Event),
    ) -> usize {
        // The whole name is in the chunk, so `stop` is inside it.
        let Some(&next) = chunk.get(stop) else {
            return stop;
        };
        let ws = next.is_ascii_whitespace();
        let state = match (end_tag, next) {
            (_, b'>') => State::Text,
            (false, b'/') => State::Slash,
            (false, _) if ws => State::Attrs,
            (true, _) if ws => State::EndSpace,
            _ => return stop,
        };
        self.work += 1;
        self.tag = tag;
        self.candidate_start = self.pos + U::at(conv, lt);
        if next == b'>' {
            // `<`, `/`, the name and `>` are ASCII: as many code points as bytes.
            let end = self.candidate_start + (stop + 1 - lt);
            emit(self.event(if end_tag { Kind::End } else { Kind::Start }, end));
        } else {
            self.state = state;
        }
        stop + 1
    }

    /// [`Self::open_tag`] for a name that starts less than [`TagSet::direct_len`] bytes
    /// before the end of the chunk: reads the run of name bytes; `Ok((tag, end))` for a name
    /// of the set that ends inside the chunk, `Err(next)` where to go on otherwise (the byte
    /// states take over a name cut by the end of the chunk).
    #[cold]
    fn name_near_end(
        &mut self,
        tags: &TagSet,
        chunk: &[u8],
        lt: usize,
        name_at: usize,
        end_tag: bool,
        conv: &mut U::Conv<'_>,
    ) -> Result<(usize, usize), usize> {
        let limit = chunk.len().min(name_at + tags.max_len() + 1);
        let name_len = chunk[name_at..limit]
            .iter()
            .position(|&b| !is_name_byte(b))
            .unwrap_or(limit - name_at);
        let stop = name_at + name_len;
        self.work += (stop - lt) as u64;
        if name_len > tags.max_len() {
            return Err(stop);
        }
        if stop == chunk.len() {
            self.name.clear();
            self.name.extend_from_slice(&chunk[name_at..stop]);
            let state = if end_tag {
                State::EndName
            } else {
                State::StartName
            };
            return Err(self.enter(state, lt, conv, stop));
        }
        tags.lookup(&chunk[name_at..stop])
            .map(|tag| (tag, stop))
            .ok_or(stop)
    }

    /// Enters the byte state `state` for a candidate whose `<` is at `lt`; goes on at `next`.
    #[cold]
    fn enter(&mut self, state: State, lt: usize, conv: &mut U::Conv<'_>, next: usize) -> usize {
        self.candidate_start = self.pos + U::at(conv, lt);
        self.state = state;
        next
    }

    /// In the states that wait for one or two bytes, the number of bytes that can be passed
    /// over without looking at them one by one.
    #[inline]
    fn skip(&self, rest: &[u8]) -> Option<usize> {
        let found = match self.state {
            State::Text => memchr(b'<', rest),
            State::Comment { dashes: 0 } => memchr(b'-', rest),
            State::Cdata { brackets: 0 } => memchr(b']', rest),
            State::Quoted(q) => memchr2(q, b'<', rest),
            _ => return None,
        };
        Some(found.unwrap_or(rest.len()))
    }

    fn event(&self, kind: Kind, end: usize) -> Event {
        let (tag, start) = (self.tag, self.candidate_start);
        match kind {
            Kind::Start => Event::Start { tag, start, end },
            Kind::SelfClose => Event::SelfClose { tag, start, end },
            Kind::End => Event::End { tag, start, end },
        }
    }
}
