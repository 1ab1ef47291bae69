//! Progress reporting for runs: the `Running upgrade a -> b, doc` lines, and
//! per-statement progress while a revision runs. All of it goes to stderr (the
//! injected writer); `-q` silences it.

use std::io::Write;
use std::time::Duration;

/// Where progress goes while a run applies revisions.
pub struct Progress {
    out: Box<dyn Write>,
    quiet: bool,
}

impl Progress {
    pub fn new(out: Box<dyn Write>, quiet: bool) -> Progress {
        Progress { out, quiet }
    }

    /// A plain line (a step starting, a wait for the lock, …).
    pub fn line(&mut self, text: &str) {
        if !self.quiet {
            let _ = writeln!(self.out, "{text}");
        }
    }

    /// A step (`Running upgrade a -> b, doc`) starts.
    pub fn step_started(&mut self, description: &str) {
        self.line(description);
    }

    /// Statement `number` of `total` (at `line` of the file) starts.
    pub fn statement_started(&mut self, _number: usize, _total: usize, _line: usize) {}

    /// The step is done.
    pub fn step_finished(&mut self, _elapsed: Duration) {}
}
