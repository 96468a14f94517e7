//! The comment or CDATA section that the scanner reads to the end of a text.
//!
//! `<!--` and `<![CDATA[` open sections the scanner reads nothing in until `-->` or `]]>`.
//! When the end marker never comes, every tag after the opener is part of the section, so an
//! element around it or after it is never found: [`unclosed_section`] names the opener, for
//! an error that says why.

use memchr::{memchr, memmem};

/// A section the scanner reads no tags in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `<!-- … -->`.
    Comment,
    /// `<![CDATA[ … ]]>`.
    Cdata,
}

impl Section {
    /// What opens the section.
    pub fn opener(self) -> &'static str {
        match self {
            Self::Comment => "<!--",
            Self::Cdata => "<![CDATA[",
        }
    }

    /// What ends it.
    pub fn closer(self) -> &'static str {
        match self {
            Self::Comment => "-->",
            Self::Cdata => "]]>",
        }
    }
}

/// The section the scanner is still in at the end of `text` (no end marker after its
/// opener), with the byte offset of its `<`; `None` when every section ends.
///
/// The scanner enters a section at any `<!--` or `<![CDATA[` it meets outside one (a `<`
/// inside a tag under way breaks that tag first), so this looks at each `<` outside
/// sections and searches each end marker once, from its opener on: linear in the text,
/// also on a flood of openers.
///
/// ```
/// use _native::scan::{unclosed_section, Section};
/// assert_eq!(unclosed_section("<a><![CDATA[x</a>"), Some((Section::Cdata, 3)));
/// assert_eq!(unclosed_section("<!-- <![CDATA[ --> <a>x</a>"), None);
/// ```
pub fn unclosed_section(text: &str) -> Option<(Section, usize)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(found) = memchr(b'<', &bytes[i..]) {
        let lt = i + found;
        let rest = &bytes[lt..];
        let section = if rest.starts_with(b"<!--") {
            Section::Comment
        } else if rest.starts_with(b"<![CDATA[") {
            Section::Cdata
        } else {
            i = lt + 1;
            continue;
        };
        let body = lt + section.opener().len();
        let closer = section.closer().as_bytes();
        match memmem::find(&bytes[body..], closer) {
            Some(at) => i = body + at + closer.len(),
            None => return Some((section, lt)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{scan, Incomplete, TagSet};

    /// Whether the scanner finds an element written at the end of `text`.
    fn finds_one_after(text: &str) -> bool {
        let tags = TagSet::new(["zz"]).unwrap();
        !scan(&format!("{text}<zz></zz>"), &tags, Incomplete::Drop).is_empty()
    }

    #[test]
    fn the_section_is_the_one_the_scanner_never_leaves() {
        let pieces = [
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<",
            "!",
            "-",
            "]",
            ">",
            "<a x='",
            "'>",
            "<!-",
            "<![CDATA",
            "x",
        ];
        let mut state: u64 = 7;
        let mut next = |bound: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(state >> 33).unwrap_or(0) % bound
        };
        for _ in 0..20_000 {
            let len = next(12);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            match unclosed_section(&text) {
                None => assert!(finds_one_after(&text), "{text:?}"),
                Some((section, at)) => {
                    assert!(!finds_one_after(&text), "{text:?}");
                    assert!(text[at..].starts_with(section.opener()), "{text:?}");
                    // Up to the opener, the scanner is outside any section.
                    assert!(finds_one_after(&text[..at]), "{text:?} {at}");
                }
            }
        }
    }

    #[test]
    fn a_flood_of_openers_costs_one_search() {
        let text = "<a>".to_owned() + &"<![CDATA[".repeat(100_000) + "</a>";
        assert_eq!(unclosed_section(&text), Some((Section::Cdata, 3)));
        let text = "<![CDATA[]]>".repeat(100_000) + "<!--";
        assert_eq!(unclosed_section(&text), Some((Section::Comment, 1_200_000)));
    }
}
