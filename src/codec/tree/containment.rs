//! Whether an element holds all its tags, and which of its tags may pair with a tag outside
//! it (what `crate::crossed` asks of the tree reader).

use super::tokens::Kind;
use super::Builder;
use crate::scan::is_name_byte;

/// Which way a tag that may pair outside its element points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stray {
    /// A start tag: it may pair with an end tag after the element.
    Start,
    /// An end tag: it may pair with a start tag before the element.
    End,
}

/// Working memory of [`Containment::holds_all`] and [`Containment::strays`], kept from one
/// element to the next.
#[derive(Default)]
pub struct Containment<'a> {
    builder: Builder<'a>,
}

impl<'a> Containment<'a> {
    /// Whether no element of a text around `element` (one element's text, from the `<` of
    /// its start tag to the `>` of its end tag, as the scanner found it) can cross it: every
    /// tag in it pairs inside it, and no other `<` in it may start a tag, comment or CDATA
    /// section for the scanner. A tag the scanner reads is read here the same way (or its
    /// `<` counts as such a `<`), comments and CDATA sections end where the scanner ends
    /// them, and the tags of a well-formed element pair per name as they pair here, so none
    /// of them pairs with a tag outside. `false` only says that an element *may* cross it
    /// (`crate::crossed` then looks); so does an element the codec refuses (a declaration).
    ///
    /// The element's tree is built ([`Builder::held_all`]): one reader of the tokens, so the
    /// codec's hot path keeps its shape.
    pub fn holds_all(&mut self, element: &'a str) -> bool {
        match self.builder.build(element, usize::MAX) {
            Ok(tree) => {
                self.builder.recycle(tree);
                self.builder.held_all()
            }
            Err(_) => false,
        }
    }

    /// [`Self::holds_all`], and when it is false, the tags of `element` that may pair with a
    /// tag outside it, added to `out` as the scanner would name them: each start or end tag
    /// left unpaired here, and each tag the scanner may read where this reader reads text
    /// (a `<` or `</` followed by name bytes, also inside an instruction). For a name with
    /// none of them, the scanner pairs every tag of the name inside the element as it pairs
    /// here, so no element of that name crosses it.
    pub fn strays(&mut self, element: &'a str, out: &mut Vec<(&'a str, Stray)>) -> bool {
        let Ok(tree) = self.builder.build(element, usize::MAX) else {
            written_tags(element, out); // (refused before reading: every tag may stray)
            return false;
        };
        self.builder.recycle(tree);
        if self.builder.held_all() {
            return true;
        }
        for token in &self.builder.tokens.list {
            match token.kind {
                // A name the scanner cannot read (non-ASCII bytes) is no scanner tag.
                Kind::Start | Kind::End
                    if !token.paired && token.name.bytes().all(is_name_byte) =>
                {
                    let way = if token.kind == Kind::Start {
                        Stray::Start
                    } else {
                        Stray::End
                    };
                    out.push((token.name, way));
                }
                Kind::Text | Kind::Skip => written_tags(token.raw, out),
                _ => {}
            }
        }
        false
    }
}

/// Every `<name` (a start) or `</name` (an end) written in `raw`, names as runs of the
/// scanner's name bytes.
fn written_tags<'a>(raw: &'a str, out: &mut Vec<(&'a str, Stray)>) {
    let bytes = raw.as_bytes();
    for lt in memchr::memchr_iter(b'<', bytes) {
        let end = bytes.get(lt + 1) == Some(&b'/');
        let from = lt + 1 + usize::from(end);
        let len = bytes.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|&&b| is_name_byte(b)).count()
        });
        if len > 0 {
            let way = if end { Stray::End } else { Stray::Start };
            out.push((&raw[from..from + len], way));
        }
    }
}
