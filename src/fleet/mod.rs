//! A fleet: one command (`upgrade`, `downgrade`, `stamp`, `current`,
//! `check`, `history --applied`) run on many databases (tenants, shards,
//! regions, PostgreSQL schemas), several at once. Each target is run by the
//! same command function as one database is, with its own connection, lock,
//! transactions and resume; its JSON result is kept unchanged in the
//! fleet's record of it.
//!
//! Policy: `jobs` workers take the targets in order; `canary` runs the first
//! K alone and stops there if any fails; `fail_fast` stops starting targets
//! after a failure (by default every target runs, and the failures are
//! reported at the end); Ctrl-C stops starting targets, and the running ones
//! stop as one database does (their open transaction rolled back, a MySQL
//! statement finished), each left at a revision boundary or as it was. The
//! workers send what happens to the calling thread, which alone writes
//! (`report`), so a finished target leaves only its small summary record.
//!
//! Rooms: `source` lists the targets, `report` shows progress and results,
//! `error` words the fleet's errors. It uses `command` (the verbs and their
//! context), `config`, `script`, `interrupt` and `url`.

mod error;
mod report;
mod source;

pub use error::FleetError;
pub use source::Spec;

use crate::command::{self, CheckArgs, Ctx, Globals, RunArgs, StampArgs};
use crate::config::{Config, UrlSource};
use crate::interrupt;
use crate::script::ScriptDirectory;
use report::{Outcome, Report, Status};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

/// How many targets run at once when `--jobs` is not given (fewer when the
/// fleet is smaller): enough to overlap network waits, few enough not to
/// load a shared server.
pub const DEFAULT_JOBS: usize = 4;

pub use crate::command::FleetArgs;

/// The commands a fleet runs, with their arguments.
pub enum FleetCommand {
    Upgrade(RunArgs),
    Downgrade(RunArgs),
    Stamp(StampArgs),
    Current { verbose: bool },
    Check(CheckArgs),
    Applied { verbose: bool },
}

impl FleetCommand {
    /// The command's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            FleetCommand::Upgrade(_) => "upgrade",
            FleetCommand::Downgrade(_) => "downgrade",
            FleetCommand::Stamp(_) => "stamp",
            FleetCommand::Current { .. } => "current",
            FleetCommand::Check(_) => "check",
            FleetCommand::Applied { .. } => "history --applied",
        }
    }
}

/// The environment, readable from every worker.
pub type Env<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// What every target's run shares.
struct Shared<'a> {
    config: &'a Config,
    scripts: &'static Arc<ScriptDirectory>,
    globals: &'a Globals,
    env: Env<'a>,
    command: &'a FleetCommand,
}

/// Runs `command` on every target `args` selects; `Ok` only when every
/// target succeeded. Results go to `ctx.out`, progress to stderr.
pub fn run(
    ctx: &mut Ctx<'_>,
    env: Env<'_>,
    args: &FleetArgs,
    command: &FleetCommand,
) -> anyhow::Result<()> {
    let config = ctx.config()?.clone();
    let specs = {
        let mut stdin = std::io::stdin().lock();
        let mut sources = source::Sources {
            config: &config,
            cwd: &ctx.globals.cwd,
            env,
            wait: ctx.globals.wait,
            stdin: &mut stdin,
        };
        source::resolve(&args.targets, &mut sources)?
    };
    // Loaded once for every target, kept until the process ends as one
    // command's scripts are.
    let scripts: &'static Arc<ScriptDirectory> =
        Box::leak(Box::new(Arc::new(ScriptDirectory::load(&config)?)));
    let total = specs.len();
    // `check` may empty and fill the one scratch database `dev_url` names:
    // then its targets take turns.
    let one_scratch = matches!(command, FleetCommand::Check(_))
        && (ctx.globals.dev_url.is_some() || config.dev_url.is_some());
    let jobs = if one_scratch {
        if args.jobs.is_some_and(|j| j > 1) {
            ctx.say("check runs one target at a time when a dev_url is set: the targets share that scratch database");
        }
        1
    } else {
        args.jobs.unwrap_or(DEFAULT_JOBS).clamp(1, total)
    };
    let globals = target_globals(&ctx.globals);
    let shared = Shared {
        config: &config,
        scripts,
        globals: &globals,
        env,
        command,
    };
    let mut report = Report::new(
        ctx.out,
        ctx.progress,
        total,
        command,
        ctx.globals.json,
        ctx.globals.quiet,
    )?;
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let canary = args.canary.map(|k| k.clamp(1, total));
    let mut why_stopped: Option<&'static str> = None;
    let first_wave = canary.unwrap_or(total);
    let failed = run_wave(
        &specs[..first_wave],
        0,
        jobs.min(first_wave),
        args.fail_fast,
        &stop,
        &shared,
        &mut report,
    )?;
    if failed > 0 && canary.is_some() {
        why_stopped = Some("not started: a canary target failed");
    } else if failed > 0 && args.fail_fast {
        why_stopped = Some("not started: --fail-fast stopped the run after a failure");
    } else if interrupt::interrupted() {
        why_stopped = Some("not started: interrupted");
    } else if first_wave < total {
        run_wave(
            &specs[first_wave..],
            first_wave,
            jobs.min(total - first_wave),
            args.fail_fast,
            &stop,
            &shared,
            &mut report,
        )?;
        if args.fail_fast && report.failed() > 0 {
            why_stopped = Some("not started: --fail-fast stopped the run after a failure");
        }
    }
    if interrupt::interrupted() {
        why_stopped = Some("not started: interrupted");
    }
    // The targets no worker took (fail-fast, Ctrl-C) and those after the canary.
    for (i, spec) in specs.iter().enumerate() {
        if !report.seen(i) {
            let reason = why_stopped.unwrap_or("not started");
            report.not_started(i, &spec.label, reason)?;
        }
    }
    let summary = report.finish(started.elapsed())?;
    if summary.failed + summary.not_started > 0 {
        return Err(FleetError::Incomplete {
            total,
            failed: summary.failed,
            not_started: summary.not_started,
            interrupted: interrupt::interrupted(),
        }
        .into());
    }
    Ok(())
}

/// What happens in a wave, as the workers tell it.
enum Message {
    Started {
        worker: usize,
        index: usize,
    },
    Finished {
        worker: usize,
        index: usize,
        outcome: Outcome,
    },
}

/// Runs `specs` (the fleet's targets from `offset` on) with `jobs` workers;
/// the number of targets that failed.
fn run_wave(
    specs: &[Spec],
    offset: usize,
    jobs: usize,
    fail_fast: bool,
    stop: &AtomicBool,
    shared: &Shared<'_>,
    report: &mut Report<'_>,
) -> anyhow::Result<usize> {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Message>();
    let mut failed = 0;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        for worker in 0..jobs {
            let tx = tx.clone();
            let next = &next;
            // A worker runs what one command runs on the main thread: the
            // same stack as a main thread's.
            std::thread::Builder::new()
                .name(format!("migrate-fleet-{worker}"))
                .stack_size(8 << 20)
                .spawn_scoped(scope, move || loop {
                    if stop.load(Ordering::SeqCst) || interrupt::interrupted() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(spec) = specs.get(i) else { break };
                    let index = offset + i;
                    let _ = tx.send(Message::Started { worker, index });
                    let outcome = run_target(spec, shared);
                    if fail_fast && outcome.status == Status::Failed {
                        // Before this worker takes another target.
                        stop.store(true, Ordering::SeqCst);
                    }
                    let _ = tx.send(Message::Finished {
                        worker,
                        index,
                        outcome,
                    });
                })?;
        }
        drop(tx);
        loop {
            match rx.recv_timeout(report::TICK) {
                Ok(Message::Started { worker, index }) => {
                    report.started(worker, &specs[index - offset].label);
                }
                Ok(Message::Finished {
                    worker,
                    index,
                    outcome,
                }) => {
                    if outcome.status == Status::Failed {
                        failed += 1;
                    }
                    report.finished(worker, index, &specs[index - offset].label, outcome)?;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => report.tick(),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        Ok(())
    })?;
    Ok(failed)
}

/// The global options every target's command runs with: JSON results (kept
/// as they are in the record), no progress lines of its own (the fleet's
/// line stands for them), the rest as given.
fn target_globals(g: &Globals) -> Globals {
    Globals {
        cwd: g.cwd.clone(),
        config_path: g.config_path.clone(),
        url: None,
        x: Default::default(),
        quiet: true,
        verbose: false,
        wait: g.wait,
        lock_timeout: g.lock_timeout,
        lock: g.lock,
        json: true,
        report: crate::command::Report::Json,
        dev_url: g.dev_url.clone(),
        fleet: None,
    }
}

fn no_progress() -> Box<dyn Write> {
    Box::new(std::io::sink())
}

/// Runs the command on one target, as `migrate --url URL COMMAND` would.
fn run_target(spec: &Spec, shared: &Shared<'_>) -> Outcome {
    let started = Instant::now();
    let mut config = shared.config.clone();
    config.url = Some(spec.url.clone());
    config.url_source = UrlSource::Flag;
    config.url_error = None;
    if let Some(schema) = &spec.schema {
        config.version_table_schema = Some(schema.clone());
    }
    let globals = target_globals(shared.globals);
    let mut out: Vec<u8> = Vec::new();
    let result = {
        let mut ctx = Ctx::for_fleet(
            &mut out,
            no_progress,
            globals,
            shared.env,
            config,
            shared.scripts,
        );
        let ctx = &mut ctx;
        match shared.command {
            FleetCommand::Upgrade(a) => command::upgrade(ctx, a).map(|()| true),
            FleetCommand::Downgrade(a) => command::downgrade(ctx, a).map(|()| true),
            FleetCommand::Stamp(a) => command::stamp(ctx, a).map(|()| true),
            FleetCommand::Current { verbose } => command::current(ctx, *verbose).map(|()| true),
            FleetCommand::Check(a) => command::check(ctx, a),
            FleetCommand::Applied { verbose } => {
                command::applied_history(ctx, *verbose).map(|()| true)
            }
        }
    };
    let value = if out.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&out)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&out).into()))
    };
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(true) => Outcome::ok(value, seconds),
        Ok(false) => {
            let problems = value
                .get("problems")
                .and_then(|p| p.as_array())
                .map_or(0, Vec::len);
            let first = value
                .pointer("/problems/0/message")
                .and_then(|m| m.as_str())
                .unwrap_or("");
            Outcome::failed(
                format!("check found {problems} problem(s): {first}"),
                value,
                seconds,
            )
        }
        Err(e) => Outcome::failed(crate::url::redact(&format!("{e:#}")), value, seconds),
    }
}
