//! Progress on stderr for steps that may take a while. On a terminal, an
//! indicatif spinner or bar; otherwise (a log file, CI), a plain line once a
//! step has run for [`FIRST`] and then every [`EVERY`], so that a long run
//! in a pipeline still says what it is doing — and a short one says nothing.
//!
//! A step made of parts of about equal cost (the folds of one of `auto`'s
//! candidates) can say when its current task should end ([`Eta`]); the plain
//! line then gives the time left as of when it is printed.

use std::io::IsTerminal;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How long a step runs before a plain line says so.
const FIRST: Duration = Duration::from_secs(2);
/// How often the plain line repeats after that.
const EVERY: Duration = Duration::from_secs(10);

/// A step in progress; dropping it (or [`Step::finish`]) ends the display.
pub struct Step {
    bar: Option<ProgressBar>,
    plain: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
    state: Arc<Mutex<State>>,
}

/// What the display shows: `done` of `total`, the detail, and when the
/// current task should end, if that is known.
#[derive(Clone, Default)]
struct State {
    done: u64,
    total: u64,
    detail: String,
    ends: Option<Instant>,
}

/// The end of a task made of `total` parts of about equal cost, estimated
/// from the time its parts done so far took.
pub struct Eta {
    started: Instant,
}

impl Eta {
    /// Starts timing a task now.
    pub fn start() -> Eta {
        Eta {
            started: Instant::now(),
        }
    }

    /// When the task should end, with `done` of its `total` parts done;
    /// `None` before the first part is done.
    pub fn ends(&self, done: usize, total: usize) -> Option<Instant> {
        (done > 0 && done <= total).then(|| {
            let per = self.started.elapsed().as_secs_f64() / done as f64;
            Instant::now() + Duration::from_secs_f64(per * (total - done) as f64)
        })
    }
}

/// `d` rounded for a person: seconds below two minutes (at least one: "about
/// 0 s left" reads as a fault), else minutes, else hours and minutes.
pub fn human(d: Duration) -> String {
    let s = (d.as_secs_f64().round() as u64).max(1);
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", (s + 30) / 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600 + 30) / 60),
    }
}

/// ", about … left" for a task that should end at `ends`.
fn left(ends: Option<Instant>) -> String {
    ends.map_or_else(String::new, |e| {
        format!(
            ", about {} left",
            human(e.saturating_duration_since(Instant::now()))
        )
    })
}

impl Step {
    /// Starts showing `what` (a spinner; [`Step::set`] turns it into a count).
    pub fn start(what: impl Into<String>) -> Step {
        let what = what.into();
        let state = Arc::new(Mutex::new(State::default()));
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            bar.set_message(what);
            bar.enable_steady_tick(Duration::from_millis(120));
            return Step {
                bar: Some(bar),
                plain: None,
                state,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut wait = FIRST;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                let s = shared.lock().map(|s| s.clone()).unwrap_or_default();
                let count = if s.total > 0 {
                    format!(" {}/{}", s.done, s.total)
                } else {
                    String::new()
                };
                let detail = if s.detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({}{})", s.detail, left(s.ends))
                };
                eprintln!("{what}…{count}{detail} [{} s]", started.elapsed().as_secs());
                wait = EVERY;
            }
        });
        Step {
            bar: None,
            plain: Some((stop, thread)),
            state,
        }
    }

    /// Reports `done` of `total` units, now at `detail`.
    pub fn set(&self, done: usize, total: usize, detail: &str) {
        self.set_until(done, total, detail, None);
    }

    /// [`Step::set`], the current task (`detail`) to end at `ends`.
    pub fn set_until(&self, done: usize, total: usize, detail: &str, ends: Option<Instant>) {
        if let Some(bar) = &self.bar {
            if bar.length().is_none() {
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} [{elapsed}] {bar:30} {pos}/{len} {msg}",
                    )
                    .expect("a valid template"),
                );
            }
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            // The time left as of this call: it is updated at the next one.
            bar.set_message(format!("{detail}{}", left(ends)));
        }
        if let Ok(mut s) = self.state.lock() {
            *s = State {
                done: done as u64,
                total: total as u64,
                detail: detail.to_string(),
                ends,
            };
        }
    }

    /// Ends the display (also done on drop).
    pub fn finish(self) {}
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if let Some((stop, thread)) = self.plain.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_round_to_the_unit_that_reads() {
        let cases = [(0, "1 s"), (119, "119 s"), (120, "2 min"), (149, "2 min")];
        for (s, want) in cases {
            assert_eq!(human(Duration::from_secs(s)), want);
        }
        assert_eq!(human(Duration::from_secs(150)), "3 min");
        assert_eq!(human(Duration::from_secs(7200 + 65 * 60)), "3 h 5 min");
    }

    #[test]
    fn eta_is_unknown_before_the_first_part_and_scales_with_the_parts_left() {
        let eta = Eta {
            started: Instant::now() - Duration::from_secs(10),
        };
        assert_eq!(eta.ends(0, 5), None);
        let left = eta.ends(2, 5).unwrap() - Instant::now();
        // 5 s a part, 3 parts left.
        assert!((left.as_secs_f64() - 15.0).abs() < 1.0, "{left:?}");
        let done = eta.ends(5, 5).unwrap();
        assert!(done <= Instant::now());
    }
}
