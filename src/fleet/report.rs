//! What a fleet shows as it runs and when it ends. On a terminal, a live
//! line on stderr (done / running / failed / left, and the slowest running
//! target), with each failure printed above it as it happens; elsewhere (CI
//! logs, pipes), one line per target on stderr as it finishes. Then, in
//! text, a summary table on stdout, one row per target in the fleet's order;
//! with `--format json`, stdout is one JSON array, one record per target,
//! written as each target finishes (so a record's full result is held only
//! until it is written). Only the calling thread writes.

use super::FleetCommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use std::io::Write;
use std::time::{Duration, Instant};

/// How often the live line is redrawn.
pub(crate) const TICK: Duration = Duration::from_millis(150);

/// How a target ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Failed,
    NotStarted,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::NotStarted => "not started",
        }
    }

    fn json(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::NotStarted => "not_started",
        }
    }
}

/// One target's run, as its worker hands it over.
pub(crate) struct Outcome {
    pub status: Status,
    pub error: Option<String>,
    /// The command's own JSON result for this database (null when it has none).
    pub result: Value,
    pub seconds: f64,
}

impl Outcome {
    pub(crate) fn ok(result: Value, seconds: f64) -> Outcome {
        Outcome {
            status: Status::Ok,
            error: None,
            result,
            seconds,
        }
    }

    pub(crate) fn failed(error: String, result: Value, seconds: f64) -> Outcome {
        Outcome {
            status: Status::Failed,
            error: Some(error),
            result,
            seconds,
        }
    }
}

/// What stays of a finished target: a row of the summary table.
struct Record {
    label: String,
    status: Status,
    seconds: f64,
    /// The result or the error, in one short line.
    summary: String,
}

/// The counts at the end.
pub(crate) struct Summary {
    pub failed: usize,
    pub not_started: usize,
}

/// The fleet's output, as it goes.
pub(crate) struct Report<'a> {
    out: &'a mut dyn Write,
    progress: fn() -> Box<dyn Write>,
    total: usize,
    command: &'static str,
    json: bool,
    quiet: bool,
    /// The live line (stderr is a terminal).
    bar: Option<ProgressBar>,
    /// One row per target, by its place in the fleet; `None` until it ends.
    records: Vec<Option<Record>>,
    /// What each worker runs, and since when.
    running: Vec<Option<(String, Instant)>>,
    done: usize,
    failed: usize,
    /// JSON records written so far.
    written: usize,
}

impl<'a> Report<'a> {
    pub(crate) fn new(
        out: &'a mut dyn Write,
        progress: fn() -> Box<dyn Write>,
        total: usize,
        command: &FleetCommand,
        json: bool,
        quiet: bool,
    ) -> std::io::Result<Report<'a>> {
        let terminal = crate::progress::live_terminal(quiet);
        let bar = terminal.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar
        });
        if json {
            out.write_all(b"[\n")?;
        }
        let mut records = Vec::new();
        records.resize_with(total, || None);
        let mut r = Report {
            out,
            progress,
            total,
            command: command.name(),
            json,
            quiet,
            bar,
            records,
            running: Vec::new(),
            done: 0,
            failed: 0,
            written: 0,
        };
        r.tick();
        Ok(r)
    }

    /// Targets that failed so far.
    pub(crate) fn failed(&self) -> usize {
        self.failed
    }

    /// True when target `index` has ended (or was reported not started).
    pub(crate) fn seen(&self, index: usize) -> bool {
        self.records.get(index).is_some_and(Option::is_some)
    }

    pub(crate) fn started(&mut self, worker: usize, label: &str) {
        if self.running.len() <= worker {
            self.running.resize_with(worker + 1, || None);
        }
        self.running[worker] = Some((label.to_string(), Instant::now()));
        self.tick();
    }

    /// Target `index` ended: its line (or the live line), its JSON record.
    pub(crate) fn finished(
        &mut self,
        worker: usize,
        index: usize,
        label: &str,
        outcome: Outcome,
    ) -> std::io::Result<()> {
        if let Some(slot) = self.running.get_mut(worker) {
            *slot = None;
        }
        self.done += 1;
        if outcome.status == Status::Failed {
            self.failed += 1;
        }
        let summary = match &outcome.error {
            Some(e) => first_line(e),
            None => summarize(self.command, &outcome.result),
        };
        let line = format!(
            "[{:>w$}/{}] {:<6} {label}  {:.2} s  {summary}",
            self.done,
            self.total,
            outcome.status.word(),
            outcome.seconds,
            w = self.total.to_string().len(),
        );
        if !self.quiet {
            match &self.bar {
                Some(bar) if outcome.status == Status::Failed => bar.println(line),
                Some(_) => {}
                None => {
                    let _ = writeln!((self.progress)(), "{line}");
                }
            }
        }
        self.record(index, label, outcome, summary)?;
        self.tick();
        Ok(())
    }

    /// Target `index` was never started, for `reason`.
    pub(crate) fn not_started(
        &mut self,
        index: usize,
        label: &str,
        reason: &str,
    ) -> std::io::Result<()> {
        let outcome = Outcome {
            status: Status::NotStarted,
            error: Some(reason.to_string()),
            result: Value::Null,
            seconds: 0.0,
        };
        self.record(index, label, outcome, reason.to_string())
    }

    fn record(
        &mut self,
        index: usize,
        label: &str,
        outcome: Outcome,
        summary: String,
    ) -> std::io::Result<()> {
        if self.json {
            let record = json!({
                "target": label,
                "ok": outcome.status == Status::Ok,
                "error": outcome.error,
                "result": outcome.result,
                "status": outcome.status.json(),
                "index": index,
                "seconds": outcome.seconds,
            });
            if self.written > 0 {
                self.out.write_all(b",\n")?;
            }
            self.out.write_all(record.to_string().as_bytes())?;
            self.written += 1;
        }
        if let Some(slot) = self.records.get_mut(index) {
            *slot = Some(Record {
                label: label.to_string(),
                status: outcome.status,
                seconds: outcome.seconds,
                summary,
            });
        }
        Ok(())
    }

    /// Redraws the live line.
    pub(crate) fn tick(&mut self) {
        let Some(bar) = &self.bar else { return };
        let running: Vec<&(String, Instant)> = self.running.iter().flatten().collect();
        let left = self.total - self.done - running.len();
        let mut msg = format!(
            "{}/{} done · {} running · {} failed · {left} left",
            self.done,
            self.total,
            running.len(),
            self.failed,
        );
        if let Some((label, since)) = running.iter().min_by_key(|(_, since)| *since) {
            msg.push_str(&format!(
                " · slowest {} s: {label}",
                since.elapsed().as_secs()
            ));
        }
        bar.set_position(self.done as u64);
        bar.set_message(msg);
        bar.tick();
    }

    /// Ends the output: the JSON array's end, or the summary table.
    pub(crate) fn finish(mut self, elapsed: Duration) -> std::io::Result<Summary> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let rows: Vec<&Record> = self.records.iter().flatten().collect();
        let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
        let (ok, failed, not_started) = (
            count(Status::Ok),
            count(Status::Failed),
            count(Status::NotStarted),
        );
        if self.json {
            self.out.write_all(b"\n]\n")?;
        } else {
            let width = rows
                .iter()
                .map(|r| r.label.chars().count())
                .max()
                .unwrap_or(0)
                .max("TARGET".len());
            writeln!(
                self.out,
                "{:<width$}  {:<11}  {:>8}  RESULT",
                "TARGET", "STATUS", "SECONDS"
            )?;
            for r in &rows {
                writeln!(
                    self.out,
                    "{:<width$}  {:<11}  {:>8.2}  {}",
                    r.label,
                    r.status.word(),
                    r.seconds,
                    r.summary
                )?;
            }
            writeln!(
                self.out,
                "{} target(s): {ok} ok, {failed} failed, {not_started} not started, in {:.2} s",
                self.total,
                elapsed.as_secs_f64()
            )?;
        }
        if !self.quiet && self.bar.is_none() && self.json {
            let _ = writeln!(
                (self.progress)(),
                "{} target(s): {ok} ok, {failed} failed, {not_started} not started, in {:.2} s",
                self.total,
                elapsed.as_secs_f64()
            );
        }
        Ok(Summary {
            failed,
            not_started,
        })
    }
}

/// The first line of `text`, at most 200 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 200 {
        let cut: String = line.chars().take(199).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

/// A command's JSON result for one database, in a few words.
fn summarize(command: &str, result: &Value) -> String {
    match command {
        "upgrade" | "downgrade" => {
            let steps = result
                .get("steps")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            match steps.last() {
                None => "nothing to do".to_string(),
                Some(last) => {
                    let rev = last.get("revision").and_then(Value::as_str).unwrap_or("");
                    let verb = if command == "upgrade" {
                        "applied"
                    } else {
                        "reverted"
                    };
                    format!("{} revision(s) {verb}, the last {rev}", steps.len())
                }
            }
        }
        "stamp" => "stamped".to_string(),
        "current" => {
            let ids: Vec<String> = result
                .get("current")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .map(|r| {
                            let id = r.get("revision").and_then(Value::as_str).unwrap_or("?");
                            if r.get("is_head").and_then(Value::as_bool) == Some(true) {
                                format!("{id} (head)")
                            } else {
                                id.to_string()
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            if ids.is_empty() {
                "no revision (base)".to_string()
            } else {
                ids.join(", ")
            }
        }
        "check" => "OK".to_string(),
        _ => {
            let n = result.as_array().map_or(0, Vec::len);
            format!("{n} log entries")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_in_a_few_words() {
        let up = json!({"command": "upgrade", "steps": [{"revision": "a1"}, {"revision": "b2"}]});
        assert_eq!(
            summarize("upgrade", &up),
            "2 revision(s) applied, the last b2"
        );
        assert_eq!(summarize("upgrade", &json!({"steps": []})), "nothing to do");
        let cur = json!({"current": [{"revision": "b2", "is_head": true}]});
        assert_eq!(summarize("current", &cur), "b2 (head)");
        assert_eq!(
            summarize("current", &json!({"current": []})),
            "no revision (base)"
        );
        assert_eq!(
            summarize("history --applied", &json!([{}, {}])),
            "2 log entries"
        );
    }

    #[test]
    fn long_errors_are_cut_to_one_line() {
        assert_eq!(first_line("a\nb"), "a");
        assert_eq!(first_line(&"x".repeat(300)).chars().count(), 200);
    }
}
