//! Progress on stderr for steps that may take a while. On a terminal, an
//! indicatif spinner or bar; otherwise (a log file, CI), a plain line once a
//! step has run for [`FIRST`] and then every [`EVERY`], so that a long run
//! in a pipeline still says what it is doing — and a short one says nothing.

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
    state: Arc<Mutex<(u64, u64, String)>>,
}

impl Step {
    /// Starts showing `what` (a spinner; [`Step::set`] turns it into a count).
    pub fn start(what: impl Into<String>) -> Step {
        let what = what.into();
        let state = Arc::new(Mutex::new((0, 0, String::new())));
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
                let (done, total, detail) = shared.lock().map(|s| s.clone()).unwrap_or_default();
                let count = if total > 0 {
                    format!(" {done}/{total}")
                } else {
                    String::new()
                };
                let detail = if detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({detail})")
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
            bar.set_message(detail.to_string());
        }
        if let Ok(mut s) = self.state.lock() {
            *s = (done as u64, total as u64, detail.to_string());
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
