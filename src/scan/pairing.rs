//! Pairs start and end tag events into spans: one stack of open starts per tag name.
//!
//! An end tag closes the most recent open start of its own name; an end tag with nothing
//! open is ignored; names never interact, so `<a><b></a></b>` gives both spans. Each event
//! costs one stack operation, so pairing is linear in the number of tags.

use std::collections::BinaryHeap;

use super::lexer::Event;
use super::{Incomplete, Span};

/// A start tag waiting for its end tag (code-point offsets).
#[derive(Debug, Clone, Copy)]
struct Open {
    start: usize,
    inner_start: usize,
}

impl Open {
    /// The span of this start of `tag` when it ends at `end`, its content at `inner_end`,
    /// with `depth` starts of its name still open around it.
    #[inline]
    fn span(self, tag: usize, end: usize, inner_end: usize, depth: usize, closed: bool) -> Span {
        Span {
            tag,
            start: self.start,
            end,
            inner_start: self.inner_start,
            inner_end,
            depth: depth_u32(depth),
            self_closing: false,
            closed,
        }
    }
}

/// The open-tag stacks.
#[derive(Debug, Clone)]
pub(crate) struct Pairing {
    stacks: Vec<Vec<Open>>,
    work: u64,
    /// While [`Self::finish_some`] is reporting open starts: the top of each non-empty
    /// stack, as `(start, tag)`.
    closing: Option<BinaryHeap<(usize, usize)>>,
}

impl Pairing {
    pub(crate) fn new(tag_count: usize) -> Self {
        Self {
            stacks: vec![Vec::new(); tag_count],
            work: 0,
            closing: None,
        }
    }

    /// Stack operations done so far.
    pub(crate) fn work(&self) -> u64 {
        self.work
    }

    /// Takes one event; a completed span is pushed to `out`.
    pub(crate) fn on_event(&mut self, event: Event, out: &mut Vec<Span>) {
        self.work += 1;
        match event {
            Event::Start { tag, start, end } => {
                if let Some(stack) = self.stacks.get_mut(tag) {
                    stack.push(Open {
                        start,
                        inner_start: end,
                    });
                }
            }
            Event::SelfClose { tag, start, end } => {
                let depth = self.stacks.get(tag).map_or(0, Vec::len);
                out.push(Span {
                    tag,
                    start,
                    end,
                    inner_start: end,
                    inner_end: end,
                    depth: depth_u32(depth),
                    self_closing: true,
                    closed: true,
                });
            }
            Event::End { tag, start, end } => {
                let Some(stack) = self.stacks.get_mut(tag) else {
                    return;
                };
                if let Some(open) = stack.pop() {
                    out.push(open.span(tag, end, start, stack.len(), true));
                }
            }
        }
    }

    /// Ends the input at code-point offset `end`: with [`Incomplete::Close`] every open start
    /// becomes an unclosed span, latest start first (the order closing them all at the end
    /// would give). The stacks are emptied either way.
    pub(crate) fn finish(&mut self, mode: Incomplete, end: usize, out: &mut Vec<Span>) {
        while !self.finish_some(mode, end, out, usize::MAX) {}
    }

    /// [`Self::finish`] in batches: pushes at most `limit` spans and returns `true` once
    /// every open start has been reported (the stacks are then emptied). Call again with the
    /// same `mode` and `end` until it does. The stacks are each sorted by start, so a heap of
    /// their tops merges them in O(k log t) for k open starts of t names.
    pub(crate) fn finish_some(
        &mut self,
        mode: Incomplete,
        end: usize,
        out: &mut Vec<Span>,
        limit: usize,
    ) -> bool {
        let Self {
            stacks,
            work,
            closing,
        } = self;
        if mode == Incomplete::Close {
            let tops = closing.get_or_insert_with(|| {
                stacks
                    .iter()
                    .enumerate()
                    .filter_map(|(tag, stack)| stack.last().map(|open| (open.start, tag)))
                    .collect()
            });
            let mut pushed = 0;
            while pushed < limit {
                let Some((_, tag)) = tops.pop() else { break };
                let stack = &mut stacks[tag];
                let Some(open) = stack.pop() else { continue };
                *work += 1;
                pushed += 1;
                out.push(open.span(tag, end, end, stack.len(), false));
                if let Some(next) = stack.last() {
                    tops.push((next.start, tag));
                }
            }
            if !tops.is_empty() {
                return false;
            }
        }
        *closing = None;
        for stack in stacks.iter_mut() {
            *stack = Vec::new();
        }
        true
    }
}

/// Depths beyond `u32::MAX` saturate (they would need a 4 GB text of start tags).
fn depth_u32(depth: usize) -> u32 {
    u32::try_from(depth).unwrap_or(u32::MAX)
}
