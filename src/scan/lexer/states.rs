//! The byte states of the [`Lexer`]: one byte at a time inside a candidate tag, comment or
//! CDATA section (the text state and whole names in a chunk are the fast paths of `lexer.rs`).

use super::Lexer;
use crate::scan::{is_name_byte, TagSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Outside any candidate.
    Text,
    /// Just after `<`.
    Lt,
    /// Reading the name of a start tag.
    StartName,
    /// Inside a start tag whose name matched, between attributes.
    Attrs,
    AttrName,
    AfterAttrName,
    BeforeValue,
    Quoted(u8),
    Unquoted {
        slash: bool,
    },
    /// After the `/` of a self-closing start tag.
    Slash,
    /// Just after `</`.
    EndLt,
    EndName,
    /// After the name of an end tag whose name matched, before `>`.
    EndSpace,
    /// Just after `<!`.
    Bang,
    /// Just after `<!-`.
    CommentOpen,
    Comment {
        dashes: u8,
    },
    /// Matched this many bytes of `[CDATA[` after `<!`.
    CdataOpen(u8),
    Cdata {
        brackets: u8,
    },
}

/// What the main loop does after one byte.
pub(super) enum Step {
    /// The byte was used; go on with the next one.
    Next,
    /// The byte broke the candidate: look at it again in the text state.
    Again,
    /// The byte is the `>` of a tag: emit it, then go on.
    Emit(Kind),
}

#[derive(Clone, Copy)]
pub(super) enum Kind {
    Start,
    SelfClose,
    End,
}

const CDATA_OPEN: &[u8; 7] = b"[CDATA[";

impl<U> Lexer<U> {
    /// Starts a tag name with `b`.
    fn begin_name(&mut self, b: u8) {
        self.name.clear();
        self.name.push(b);
    }

    /// Adds `b` to the tag name; past the longest name in the set the bytes are not kept
    /// (such a name cannot match anyway), so the buffer stays bounded.
    fn push_name(&mut self, b: u8) {
        if self.name.len() < self.name_cap {
            self.name.push(b);
        }
    }

    /// Looks the name up; on a match remembers the tag and moves to `next`.
    fn matched(&mut self, tags: &TagSet, next: State) -> bool {
        match tags.lookup(&self.name) {
            Some(tag) => {
                self.tag = tag;
                self.state = next;
                true
            }
            None => false,
        }
    }

    /// One byte in a non-text state.
    pub(super) fn step(&mut self, tags: &TagSet, b: u8) -> Step {
        match self.state {
            State::Comment { dashes } => {
                self.state = match b {
                    b'-' => State::Comment {
                        dashes: (dashes + 1).min(2),
                    },
                    b'>' if dashes >= 2 => State::Text,
                    _ => State::Comment { dashes: 0 },
                };
                Step::Next
            }
            State::Cdata { brackets } => {
                self.state = match b {
                    b']' => State::Cdata {
                        brackets: (brackets + 1).min(2),
                    },
                    b'>' if brackets >= 2 => State::Text,
                    _ => State::Cdata { brackets: 0 },
                };
                Step::Next
            }
            // Every candidate ends at a `<`, which then starts the next one.
            _ if b == b'<' => Step::Again,
            State::Lt | State::Bang | State::CommentOpen | State::CdataOpen(_) => self.open(b),
            State::StartName | State::EndLt | State::EndName | State::EndSpace => {
                self.name_byte(tags, b)
            }
            _ => self.attr_byte(b),
        }
    }

    /// After `<`, `<!`, `<!-` or part of `<![CDATA[`.
    fn open(&mut self, b: u8) -> Step {
        let next = match (self.state, b) {
            (State::Lt, b'/') => State::EndLt,
            (State::Lt, b'!') => State::Bang,
            (State::Lt, _) if is_name_byte(b) => {
                self.begin_name(b);
                State::StartName
            }
            (State::Bang, b'-') => State::CommentOpen,
            (State::CommentOpen, b'-') => State::Comment { dashes: 0 },
            (State::Bang, b'[') => State::CdataOpen(1),
            (State::CdataOpen(k), _) if CDATA_OPEN[usize::from(k)] == b => {
                if usize::from(k) + 1 == CDATA_OPEN.len() {
                    State::Cdata { brackets: 0 }
                } else {
                    State::CdataOpen(k + 1)
                }
            }
            _ => return Step::Again,
        };
        self.state = next;
        Step::Next
    }

    /// In or after the name of a start or end tag.
    fn name_byte(&mut self, tags: &TagSet, b: u8) -> Step {
        let ws = b.is_ascii_whitespace();
        match self.state {
            State::EndLt if is_name_byte(b) => {
                self.begin_name(b);
                self.state = State::EndName;
            }
            State::StartName | State::EndName if is_name_byte(b) => self.push_name(b),
            State::StartName if ws || b == b'>' || b == b'/' => {
                let next = match b {
                    b'>' => State::Text,
                    b'/' => State::Slash,
                    _ => State::Attrs,
                };
                if !self.matched(tags, next) {
                    return Step::Again;
                }
                if b == b'>' {
                    return Step::Emit(Kind::Start);
                }
            }
            State::EndName if ws => {
                if !self.matched(tags, State::EndSpace) {
                    return Step::Again;
                }
            }
            State::EndName if b == b'>' => {
                if !self.matched(tags, State::Text) {
                    return Step::Again;
                }
                return Step::Emit(Kind::End);
            }
            State::EndSpace if ws => {}
            State::EndSpace if b == b'>' => return Step::Emit(Kind::End),
            _ => return Step::Again,
        }
        Step::Next
    }

    /// Inside the attribute list of a start tag whose name matched.
    fn attr_byte(&mut self, b: u8) -> Step {
        let ws = b.is_ascii_whitespace();
        let attr_char = !ws && !matches!(b, b'=' | b'>' | b'/' | b'"' | b'\'');
        let next = match (self.state, b) {
            (State::Quoted(q), _) if b == q => State::Attrs,
            (State::Quoted(_), _) => self.state,
            (State::Unquoted { slash }, b'>') => {
                return Step::Emit(if slash { Kind::SelfClose } else { Kind::Start });
            }
            (State::Unquoted { .. }, _) if ws => State::Attrs,
            (State::Unquoted { .. }, _) => State::Unquoted { slash: b == b'/' },
            (State::Slash, b'>') => return Step::Emit(Kind::SelfClose),
            (State::Slash, _) => return Step::Again,
            (_, b'>') => return Step::Emit(Kind::Start),
            (State::BeforeValue, b'"' | b'\'') => State::Quoted(b),
            (State::BeforeValue, _) if ws => State::BeforeValue,
            (State::BeforeValue, _) => State::Unquoted { slash: b == b'/' },
            (_, b'/') => State::Slash,
            (State::AttrName | State::AfterAttrName, b'=') => State::BeforeValue,
            (State::AttrName, _) if attr_char => State::AttrName,
            (State::AttrName | State::AfterAttrName, _) if ws => State::AfterAttrName,
            (State::Attrs, _) if ws => State::Attrs,
            (State::Attrs | State::AfterAttrName, _) if attr_char => State::AttrName,
            _ => return Step::Again,
        };
        self.state = next;
        Step::Next
    }
}
