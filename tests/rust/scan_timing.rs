//! Timing helper, not a test: `cargo run --release --example scan_timing`. Prints the best
//! of several runs of the pure-Rust `scan` on each adversarial kind at about 1 MB and 10 MB,
//! and on the texts named by `SCAN_TIMING_FILES` (colon-separated paths, e.g. the bench
//! corpora written out by Python), to tell core costs from FFI costs. Asserts nothing about
//! time.

// A measuring tool: a failure to read its input is a crash with the reason.
#![allow(clippy::unwrap_used)]

use _native::scan::{scan, Incomplete, Pieces, TagSet, TagStream};

fn main() {
    use std::time::{Duration, Instant};
    let tags = TagSet::new([
        "answer",
        "thinking",
        "fun-fact",
        "question",
        "tool_calls",
        "item.v2",
    ])
    .unwrap();
    let best = |text: &str, how: &str| {
        let mut best = Duration::MAX;
        let mut count = 0;
        let runs = (20_000_000 / text.len().max(1)).clamp(5, 200);
        let f0 = minflt();
        for _ in 0..runs {
            let t0 = Instant::now();
            if how == "stream4" {
                // A stream fed 4-byte chunks (cutting characters), as a token stream would.
                let mut stream = TagStream::new(tags.clone(), Incomplete::Close);
                count = 0;
                for chunk in text.as_bytes().chunks(4) {
                    count += stream.feed(chunk).unwrap().len();
                }
                count += stream.finish().unwrap().len();
            } else if how == "pieces" {
                // What the Python binding does: one small buffer, emptied after each piece.
                let mut it = Pieces::new(text, &tags, Incomplete::Close);
                let mut buf = Vec::new();
                count = 0;
                while it.fill(&mut buf) {
                    count += buf.len();
                    buf.clear();
                }
            } else {
                let spans = scan(text, &tags, Incomplete::Close);
                count = spans.len();
                drop(spans);
            }
            best = best.min(t0.elapsed());
        }
        let faults = (minflt() - f0) / runs as u64;
        (best, count, faults)
    };
    let mut texts: Vec<(String, String)> = Vec::new();
    for (kind, unit) in [("unclosed", 15), ("nesting", 17), ("all_lt", 1)] {
        for mb in [1, 10] {
            let n = mb * 1_000_000 / unit;
            let text = match kind {
                "unclosed" => "<answer> x > y ".repeat(n),
                "nesting" => "<answer>".repeat(n) + "core" + &"</answer>".repeat(n),
                _ => "<".repeat(n),
            };
            texts.push((format!("{kind} {mb} MB"), text));
        }
    }
    for path in std::env::var("SCAN_TIMING_FILES")
        .unwrap_or_default()
        .split(':')
    {
        if !path.is_empty() {
            texts.push((path.to_owned(), std::fs::read_to_string(path).unwrap()));
        }
    }
    for (name, text) in &texts {
        for how in ["scan", "pieces", "stream4"] {
            let (time, count, faults) = best(text, how);
            println!(
                "{name:<28} {how:<6} {:>9.3} ms  {:>5.2} ns/byte  {count:>7} spans  \
                 {faults:>6} page faults/run",
                time.as_secs_f64() * 1e3,
                time.as_secs_f64() * 1e9 / f64::from(u32::try_from(text.len()).unwrap())
            );
        }
    }
}

fn minflt() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    rest.split(' ').nth(7).unwrap().parse().unwrap()
}
