//! Running a generator: seeds, the time budget, catching panics, shrinking
//! a failing input and reporting it.
//!
//! Each run draws a seed from the clock (or takes `FERRODIS_FUZZ_SEED`,
//! which then replays exactly one case per generator) and gives case `i`
//! the seed `seed + i`, so the case seed a failure prints is all it takes
//! to replay it. A run lasts its default budget, or `FERRODIS_FUZZ_SECONDS`.
//! A failing input is shrunk by deleting ever smaller chunks while it still
//! fails the same way, and the report shows both inputs escaped.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::util::resp::escape_all;
use crate::util::rng::{clock_seed, Rng};
use crate::util::server::panic_message;

/// How long each in-process generator runs in `make test`: thousands of
/// cases, a small part of the suite's time.
pub const IN_PROCESS: Duration = Duration::from_secs(2);

/// How long each generator against the binary runs in `make test`: it
/// starts processes and waits on sockets, so fewer cases fit.
pub const AGAINST_SERVER: Duration = Duration::from_secs(4);

/// Longest a shrink may take: a report must not wait minutes for a
/// slightly smaller input.
const SHRINK_TIME: Duration = Duration::from_secs(20);

/// One generator's run: which seeds it draws and until when.
pub struct Run {
    name: &'static str,
    seed: u64,
    replay: bool,
    started: Instant,
    budget: Duration,
    cases: u64,
}

/// One case: its seed and the generator it draws from.
pub struct Case {
    pub seed: u64,
    pub rng: Rng,
}

impl Run {
    /// Starts a run of `name` that lasts `default` unless told otherwise.
    pub fn new(name: &'static str, default: Duration) -> Run {
        let env = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        let replay_seed = env("FERRODIS_FUZZ_SEED").map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("FERRODIS_FUZZ_SEED must be a u64, not {s:?}"))
        });
        let budget =
            env("FERRODIS_FUZZ_SECONDS").map_or(default, |s| {
                Duration::from_secs_f64(s.parse().unwrap_or_else(|_| {
                    panic!("FERRODIS_FUZZ_SECONDS must be a number, not {s:?}")
                }))
            });
        let seed = replay_seed.unwrap_or_else(clock_seed);
        eprintln!("fuzz {name}: seed {seed}, for {budget:?}");
        Run {
            name,
            seed,
            replay: replay_seed.is_some(),
            started: Instant::now(),
            budget,
            cases: 0,
        }
    }

    /// The next case, or `None` once the budget is spent (after one case
    /// when replaying). Every run gets at least one case.
    pub fn next_case(&mut self) -> Option<Case> {
        let done = if self.replay {
            self.cases > 0
        } else {
            self.cases > 0 && self.started.elapsed() >= self.budget
        };
        if done {
            eprintln!(
                "fuzz {}: {} cases in {:.1?} (seed {})",
                self.name,
                self.cases,
                self.started.elapsed(),
                self.seed
            );
            return None;
        }
        let seed = self.seed.wrapping_add(self.cases);
        self.cases += 1;
        Some(Case {
            seed,
            rng: Rng::new(seed),
        })
    }

    /// Checks `input` with `property`, which may draw from the case's
    /// generator where the input's generation left it (each evaluation
    /// starts there, so shrinking sees the same choices). A failure, an
    /// `Err` or a panic, is shrunk and reported.
    pub fn check(
        &self,
        case: &Case,
        input: &[u8],
        property: impl Fn(&[u8], &mut Rng) -> Result<(), String>,
    ) {
        let rng = &case.rng;
        let Err(error) = evaluate(&property, input, rng, false) else {
            return;
        };
        let kind = failure_kind(&error);
        let (minimal, minimal_error, runs) = shrink(input, |candidate| {
            evaluate(&property, candidate, rng, true)
                .err()
                .filter(|e| failure_kind(e) == kind)
        });
        self.fail(
            case,
            &format!(
                "{error}\n  input ({} bytes): {}\n  minimal input ({} bytes, {runs} tries): {}\n  minimal input's failure: {minimal_error}",
                input.len(),
                escape_all(input),
                minimal.len(),
                escape_all(&minimal),
            ),
        );
    }

    /// Fails the test for `case` with `what`, naming the seeds to replay it.
    pub fn fail(&self, case: &Case, what: &str) -> ! {
        // libtest names each test's thread after the test.
        let test = std::thread::current()
            .name()
            .unwrap_or("fuzz::")
            .to_string();
        panic!(
            "fuzz {}: case failed (run seed {}, case seed {})\n  {what}\n  replay: FERRODIS_FUZZ_SEED={} cargo test --test tests {test}",
            self.name, self.seed, case.seed, case.seed
        )
    }
}

/// What two failures must share to count as the same one while shrinking:
/// the text before the first `": "` (a panic's location, or a property's
/// own label).
fn failure_kind(error: &str) -> &str {
    error.split(": ").next().unwrap_or(error)
}

thread_local! {
    /// Set while shrinking, when the many expected panics would only be noise.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// Where the last panic on this thread happened.
    static LOCATION: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Wraps the panic hook once: it records each panic's location for the
/// report, and stays silent while this thread is shrinking.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let at = info.location().map(|l| l.to_string()).unwrap_or_default();
            LOCATION.with(|l| *l.borrow_mut() = at);
            if !QUIET.with(Cell::get) {
                default(info);
            }
        }));
    });
}

/// Runs `property` on `input`, turning a panic into an error that starts
/// with its location.
fn evaluate(
    property: &impl Fn(&[u8], &mut Rng) -> Result<(), String>,
    input: &[u8],
    rng: &Rng,
    quiet: bool,
) -> Result<(), String> {
    install_hook();
    QUIET.with(|q| q.set(quiet));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| property(input, &mut rng.clone())));
    QUIET.with(|q| q.set(false));
    outcome.unwrap_or_else(|payload| {
        let at = LOCATION.with(|l| l.borrow().clone());
        Err(format!("panic at {at}: {}", panic_message(&*payload)))
    })
}

/// Deletes chunks of `input`, halving their size down to single bytes,
/// keeping every deletion after which `fails` still reports a failure.
/// Returns the smallest failing input, its failure and how many inputs
/// were tried.
fn shrink(input: &[u8], fails: impl Fn(&[u8]) -> Option<String>) -> (Vec<u8>, String, usize) {
    let deadline = Instant::now() + SHRINK_TIME;
    let mut best = input.to_vec();
    let mut best_error = fails(&best).unwrap_or_else(|| "(did not fail again)".into());
    let mut runs = 1;
    let mut chunk = (best.len() / 2).max(1);
    loop {
        let mut progress = false;
        let mut at = 0;
        while at < best.len() && Instant::now() < deadline {
            let mut candidate = best.clone();
            candidate.drain(at..(at + chunk).min(best.len()));
            runs += 1;
            match fails(&candidate) {
                Some(error) => {
                    best = candidate;
                    best_error = error;
                    progress = true;
                }
                None => at += chunk,
            }
        }
        if Instant::now() >= deadline || (chunk == 1 && !progress) {
            return (best, best_error, runs);
        }
        chunk = (chunk / 2).max(1);
    }
}

#[test]
fn shrinking_finds_the_bytes_that_matter() {
    // Fails when both an `x` and a `y` are present, in that order.
    let fails = |b: &[u8]| {
        let x = b.iter().position(|&c| c == b'x')?;
        b[x..].contains(&b'y').then(|| "needs x then y".to_string())
    };
    let (minimal, error, _) = shrink(b"aaaaxbbbbbbbbbbybbbb", fails);
    assert_eq!(minimal, b"xy");
    assert_eq!(error, "needs x then y");
}

#[test]
fn a_panic_is_a_failure_with_its_location() {
    let rng = Rng::new(1);
    let property = |b: &[u8], _: &mut Rng| -> Result<(), String> {
        assert!(b.len() < 3, "too long");
        Ok(())
    };
    assert_eq!(evaluate(&property, b"ab", &rng, true), Ok(()));
    let error = evaluate(&property, b"abc", &rng, true).unwrap_err();
    assert!(
        error.starts_with("panic at tests/fuzz/engine.rs:"),
        "{error}"
    );
    assert!(error.ends_with("too long"), "{error}");
}
