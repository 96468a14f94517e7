//! Which start and end tags of an element's tokens pair: per name, as the scanner pairs them.

use std::collections::HashMap;

use super::tokens::{Kind, Token};

/// How many start tags of each name are open. An element holds few distinct names, so they
/// sit in a small inline table searched linearly (cheaper than hashing every name, and no
/// allocation); past [`OpenCounts::SMALL`] names a hash map takes over, so time stays
/// linear in the text.
struct OpenCounts<'a> {
    few: [(&'a str, usize); OpenCounts::SMALL],
    len: usize,
    many: Option<HashMap<&'a str, usize>>,
}

impl<'a> OpenCounts<'a> {
    const SMALL: usize = 16;

    fn new() -> Self {
        Self {
            few: [("", 0); Self::SMALL],
            len: 0,
            many: None,
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut usize> {
        match &mut self.many {
            Some(map) => map.get_mut(name),
            None => self.few[..self.len]
                .iter_mut()
                .find(|(seen, _)| *seen == name)
                .map(|(_, c)| c),
        }
    }

    fn add(&mut self, name: &'a str) {
        if let Some(count) = self.slot(name) {
            *count += 1;
        } else if let Some(map) = &mut self.many {
            map.insert(name, 1);
        } else if self.len < Self::SMALL {
            self.few[self.len] = (name, 1);
            self.len += 1;
        } else {
            let mut map: HashMap<&'a str, usize> = self.few.iter().copied().collect();
            map.insert(name, 1);
            self.many = Some(map);
        }
    }

    fn count(&mut self, name: &str) -> usize {
        self.slot(name).map_or(0, |c| *c)
    }

    fn remove(&mut self, name: &str) {
        if let Some(count) = self.slot(name) {
            *count -= 1;
        }
    }
}

/// Mark each start and end tag that pairs (all others are text); `stack` is scratch space.
pub(super) fn pair(tokens: &mut [Token<'_>], stack: &mut Vec<usize>) {
    stack.clear();
    let mut open = OpenCounts::new();
    for index in 0..tokens.len() {
        let token = tokens[index];
        match token.kind {
            Kind::Empty => tokens[index].paired = true,
            Kind::Start => {
                stack.push(index);
                open.add(token.name);
            }
            Kind::End => {
                if open.count(token.name) == 0 {
                    continue;
                }
                while let Some(top) = stack.pop() {
                    let top_name = tokens[top].name;
                    open.remove(top_name);
                    if top_name == token.name {
                        tokens[top].paired = true;
                        tokens[index].paired = true;
                        break;
                    }
                }
            }
            _ => {}
        }
    }
}
