//! Progress reporting for runs: the `Running upgrade a -> b, doc` lines, and
//! per-statement progress while a revision runs. All of it goes to stderr (the
//! injected writer); `-q` silences it.
//!
//! When stderr is not a terminal (CI logs, pipes, tests) only the plain
//! `Running …` lines are written, one per step, nothing else. When it is a
//! terminal, a live line (indicatif, redrawn by its steady tick) sits under
//! the step's line while the step runs: a spinner, the statement number out
//! of the total, the statement's line in the file, how long the statement has
//! been running, and the step. It is cleared when the step ends, so what stays
//! on screen is the same log as in CI. `NO_COLOR` turns its colours off.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// How often the live line is redrawn, so the elapsed time moves during a long statement.
const TICK: Duration = Duration::from_millis(120);

/// What a run reports as it goes, for a program that embeds `migrate`
/// (see [`Progress::events`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A step starts: `Running upgrade a -> b, doc`.
    StepStarted(String),
    /// Statement `number` of `total` starts, at `line` of the file.
    Statement {
        number: usize,
        total: usize,
        line: usize,
    },
    /// The step is done.
    StepFinished(std::time::Duration),
    /// Anything else worth a line (a wait for the lock, a resumed step).
    Note(String),
    /// A connection attempt, or a failed one about to be retried while the
    /// wait allows: `Connecting to … (attempt 2)`.
    Connecting(String),
}

/// A receiver of [`Event`]s.
pub type Listener = Box<dyn FnMut(&Event) + Send>;

/// Where progress goes while a run applies revisions.
pub struct Progress {
    out: Box<dyn Write>,
    /// Events for a program that embeds `migrate`, instead of lines.
    listener: Option<Listener>,
    quiet: bool,
    /// Draw the live line (stderr is a terminal and the run is online).
    live: bool,
    /// Colours in the live line (`NO_COLOR` unset).
    colour: bool,
    /// The step being run, for the live line (`upgrade a -> b, doc`).
    step: String,
    bar: Option<ProgressBar>,
}

/// Whether a live line may be drawn on stderr: not quiet, a terminal, and
/// not one that cannot redraw a line.
pub(crate) fn live_terminal(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

impl Progress {
    /// Progress to `out`; a live line as well when stderr is a terminal.
    pub fn new(out: Box<dyn Write>, quiet: bool) -> Progress {
        let env_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let live = live_terminal(quiet);
        Progress {
            out,
            listener: None,
            quiet,
            live,
            colour: !env_set("NO_COLOR"),
            step: String::new(),
            bar: None,
        }
    }

    /// Progress as events to `listener`, and no line written anywhere.
    pub fn events(listener: Listener) -> Progress {
        Progress {
            out: Box::new(std::io::sink()),
            listener: Some(listener),
            quiet: false,
            live: false,
            colour: false,
            step: String::new(),
            bar: None,
        }
    }

    fn tell(&mut self, event: Event) -> bool {
        match &mut self.listener {
            Some(l) => {
                l(&event);
                true
            }
            None => false,
        }
    }

    /// Plain lines only, even on a terminal: offline `--sql` output may share the
    /// terminal with stderr, and a redrawn line would garble it.
    #[must_use]
    pub fn plain(mut self) -> Progress {
        self.live = false;
        self
    }

    /// A plain line (a step starting, a wait for the lock, …).
    pub fn line(&mut self, text: &str) {
        if self.tell(Event::Note(text.to_string())) || self.quiet {
            return;
        }
        let out = &mut self.out;
        match &self.bar {
            // Printed above the live line, which is redrawn under it.
            Some(bar) => bar.suspend(|| {
                let _ = writeln!(out, "{text}");
            }),
            None => {
                let _ = writeln!(out, "{text}");
            }
        }
    }

    /// A step (`Running upgrade a -> b, doc`) starts.
    pub fn step_started(&mut self, description: &str) {
        if self.tell(Event::StepStarted(description.to_string())) {
            return;
        }
        self.clear();
        self.line(description);
        if self.live {
            self.step = description
                .strip_prefix("Running ")
                .unwrap_or(description)
                .to_string();
        }
    }

    /// Statement `number` of `total` (at `line` of the file) starts.
    pub fn statement_started(&mut self, number: usize, total: usize, line: usize) {
        if self.tell(Event::Statement {
            number,
            total,
            line,
        }) {
            return;
        }
        if !self.live {
            return;
        }
        let (bar, new) = match &self.bar {
            Some(bar) => (bar.clone(), false),
            None => {
                // Hidden until its fields are set, so the first frame is already right.
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
                bar.set_style(self.style());
                bar.set_message(self.step.clone());
                self.bar = Some(bar.clone());
                (bar, true)
            }
        };
        // The elapsed time shown is the current statement's: the one that may be long.
        bar.reset_elapsed();
        bar.set_prefix(format!("line {line}"));
        bar.set_length(total as u64);
        bar.set_position(number as u64);
        if new {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(TICK);
        }
    }

    /// The step is done.
    pub fn step_finished(&mut self, elapsed: Duration) {
        if self.tell(Event::StepFinished(elapsed)) {
            return;
        }
        self.clear();
    }

    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn style(&self) -> ProgressStyle {
        // The templates are constants (tested below); should one not parse, a plain spinner.
        ProgressStyle::with_template(template(self.colour))
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
    }
}

/// The live line: `⠙ statement 3/10 (line 42) · 4s · upgrade a -> b, doc`.
fn template(colour: bool) -> &'static str {
    if colour {
        "{spinner:.cyan} statement {pos}/{len} ({prefix}) · {elapsed:.yellow} · {wide_msg:.dim}"
    } else {
        "{spinner} statement {pos}/{len} ({prefix}) · {elapsed} · {wide_msg}"
    }
}

impl Drop for Progress {
    /// A run that ends early (an error, a panic) leaves no live line behind.
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buf {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    fn run(p: &mut Progress) {
        p.step_started("Running upgrade  -> a1, first");
        p.statement_started(1, 2, 10);
        p.statement_started(2, 2, 12);
        p.step_finished(Duration::from_millis(5));
        p.line("Waiting for the migration lock 'x' (up to 60 s)");
    }

    #[test]
    fn plain_lines_are_the_step_lines_only() {
        let buf = Buf::default();
        let mut p = Progress::new(Box::new(buf.clone()), false).plain();
        run(&mut p);
        assert_eq!(
            buf.text(),
            "Running upgrade  -> a1, first\nWaiting for the migration lock 'x' (up to 60 s)\n"
        );
    }

    #[test]
    fn quiet_writes_nothing() {
        let buf = Buf::default();
        let mut p = Progress::new(Box::new(buf.clone()), true);
        run(&mut p);
        drop(p);
        assert_eq!(buf.text(), "");
    }

    #[test]
    fn live_templates_parse_and_only_one_has_colours() {
        for colour in [true, false] {
            assert!(ProgressStyle::with_template(template(colour)).is_ok());
        }
        assert!(template(true).contains(":.cyan"));
        assert!(!template(false).contains(":."));
    }
}
