//! Property tests: `FanOut` against a naive model that scans every item on every round.

use _native::fanout::{FanOut, FanOutErrorKind, State};
use proptest::prelude::*;

/// The slow reference: one state, send count and "marked again at" stamp per item.
struct Naive {
    states: Vec<State>,
    sends: Vec<u32>,
    again_at: Vec<u64>,
    finished_at: Vec<u64>,
    clock: u64,
    drained_until: u64,
    max_rounds: u32,
}

impl Naive {
    fn new(size: usize, max_rounds: u32) -> Self {
        Self {
            states: vec![State::Pending; size],
            sends: vec![0; size],
            again_at: vec![0; size],
            finished_at: vec![0; size],
            clock: 0,
            drained_until: 0,
            max_rounds,
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn next_round(&mut self, limit: Option<usize>) -> Option<Vec<usize>> {
        if limit == Some(0) {
            return None;
        }
        let n = self.states.len();
        let mut ready: Vec<usize> = (0..n)
            .filter(|&i| self.states[i] == State::Pending)
            .collect();
        let mut again: Vec<usize> = (0..n).filter(|&i| self.states[i] == State::Again).collect();
        again.sort_by_key(|&i| self.again_at[i]);
        ready.extend(again);
        if ready.is_empty() {
            return None;
        }
        ready.truncate(limit.unwrap_or(usize::MAX));
        for &i in &ready {
            self.states[i] = State::InFlight;
            self.sends[i] += 1;
        }
        Some(ready)
    }

    /// `Some(outcome)` when the transition is allowed.
    fn mark(&mut self, index: usize, op: Op) -> Option<bool> {
        if self.states.get(index) != Some(&State::InFlight) {
            return None;
        }
        let stamp = self.tick();
        let (to, queued) = match op {
            Op::Complete(_) => (State::Done, true),
            Op::Fail(_) => (State::Failed, true),
            Op::Again(_) if self.sends[index] < self.max_rounds => (State::Again, true),
            Op::Again(_) => (State::Exhausted, false),
            Op::Next(_) | Op::Drain => unreachable!(),
        };
        self.states[index] = to;
        if to == State::Again {
            self.again_at[index] = stamp;
        } else {
            self.finished_at[index] = stamp;
        }
        Some(queued)
    }

    fn drain(&mut self) -> Vec<usize> {
        let mut out: Vec<usize> = (0..self.states.len())
            .filter(|&i| self.states[i].is_finished() && self.finished_at[i] > self.drained_until)
            .collect();
        out.sort_by_key(|&i| self.finished_at[i]);
        self.drained_until = self.clock;
        out
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Next(Option<usize>),
    Complete(usize),
    Fail(usize),
    Again(usize),
    Drain,
}

fn op(size: usize) -> impl Strategy<Value = Op> {
    let index = 0..size + 2; // sometimes out of range
    prop_oneof![
        2 => proptest::option::of(0..size + 2).prop_map(Op::Next),
        3 => index.clone().prop_map(Op::Complete),
        1 => index.clone().prop_map(Op::Fail),
        3 => index.prop_map(Op::Again),
        1 => Just(Op::Drain),
    ]
}

fn case() -> impl Strategy<Value = (usize, u32, Vec<Op>)> {
    (0usize..12, 1u32..4).prop_flat_map(|(size, rounds)| {
        (
            Just(size),
            Just(rounds),
            proptest::collection::vec(op(size), 0..80),
        )
    })
}

fn check_invariants(table: &FanOut, naive: &Naive) {
    let counts = table.counts();
    assert_eq!(counts.iter().sum::<usize>(), table.len());
    for (k, state) in State::ALL.iter().enumerate() {
        let expected = naive.states.iter().filter(|s| *s == state).count();
        assert_eq!(counts[k], expected, "count of {state:?}");
        assert_eq!(table.count(*state), expected);
    }
    for i in 0..table.len() {
        assert_eq!(table.state(i), Ok(naive.states[i]));
        assert_eq!(table.sends(i), Ok(naive.sends[i]));
        assert!(naive.sends[i] <= table.max_rounds());
    }
    assert_eq!(
        table.is_finished(),
        naive.states.iter().all(|s| s.is_finished())
    );
    assert_eq!(
        table.ready_count(),
        naive.states.iter().filter(|s| s.is_ready()).count()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_naive_model((size, max_rounds, ops) in case()) {
        let mut table = FanOut::new(size, max_rounds).unwrap();
        let mut naive = Naive::new(size, max_rounds);
        for op in ops {
            match op {
                Op::Next(limit) => {
                    let got = table.next_round(limit);
                    let want = naive.next_round(limit);
                    match (got, want) {
                        (Ok(got), Some(want)) => prop_assert_eq!(got, want),
                        (Err(e), None) => {
                            let zero = limit == Some(0);
                            prop_assert_eq!(zero, e.kind == FanOutErrorKind::BadLimit { value: 0 });
                            prop_assert_eq!(e.index, None);
                        }
                        (got, want) => prop_assert!(false, "{got:?} vs {want:?}"),
                    }
                }
                Op::Complete(i) | Op::Fail(i) | Op::Again(i) => {
                    let got = match op {
                        Op::Complete(_) => table.complete(i).map(|()| true),
                        Op::Fail(_) => table.fail(i).map(|()| true),
                        _ => table.again(i),
                    };
                    let want = naive.mark(i, op);
                    match (got, want) {
                        (Ok(got), Some(want)) => prop_assert_eq!(got, want),
                        (Err(e), None) => {
                            prop_assert_eq!(e.index, Some(i));
                            let expected = if i < size { "not_in_flight" } else { "out_of_range" };
                            prop_assert_eq!(e.kind.name(), expected);
                        }
                        (got, want) => prop_assert!(false, "{got:?} vs {want:?}"),
                    }
                }
                Op::Drain => prop_assert_eq!(table.drain_finished(), naive.drain()),
            }
            check_invariants(&table, &naive);
        }
        prop_assert_eq!(table.drain_finished(), naive.drain());
    }

    /// Driving every item to the end always terminates within `max_rounds` rounds, and every
    /// item is reported finished exactly once.
    #[test]
    fn every_item_finishes_once(
        size in 0usize..40,
        max_rounds in 1u32..5,
        choices in proptest::collection::vec(0u8..3, 0..200),
    ) {
        let mut table = FanOut::new(size, max_rounds).unwrap();
        let mut seen = vec![0u32; size];
        let mut choice = choices.iter().cycle();
        let mut rounds = 0;
        while !table.is_finished() {
            rounds += 1;
            for i in table.next_round(None).unwrap() {
                match choice.next().copied().unwrap_or(0) {
                    0 => { table.again(i).unwrap(); }
                    1 => table.complete(i).unwrap(),
                    _ => table.fail(i).unwrap(),
                }
            }
            for i in table.drain_finished() {
                seen[i] += 1;
            }
        }
        prop_assert!(rounds <= max_rounds);
        prop_assert!(seen.iter().all(|&n| n == 1));
    }
}
