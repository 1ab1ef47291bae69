//! The `migrate` binary: parses the command line, loads `.env`, installs the
//! Ctrl-C handler, calls the library, prints `error: …` (password-redacted)
//! and picks the exit code: 0 success, 1 failure, 2 bad usage.

mod cli;

use clap::Parser;
use cli::{Cli, Doc, DocError, Verb};
use migrate::command::{self, Ctx};
use std::io::{ErrorKind, Write};
use std::process::ExitCode;

fn stderr() -> Box<dyn Write> {
    Box::new(std::io::stderr())
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Standard output, buffered: a locked stdout is line-buffered even into a
/// pipe (one write call per line of a long `history`). Like `cat`, it stops
/// quietly when the reader goes away (`migrate history | head`).
struct Stdout {
    inner: std::io::BufWriter<std::io::StdoutLock<'static>>,
    closed: bool,
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            r => r,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r,
        }
    }
}

fn run(cli: cli::Run) -> anyhow::Result<bool> {
    let cwd = std::env::current_dir()
        .map_err(|e| anyhow::anyhow!("cannot read the working directory: {e}"))?;
    migrate::config::load_dotenv(&cwd)?;
    let (mut globals, verb) = cli.into_parts(cwd);
    let fleet = globals.fleet.take();
    let mut stdout = Stdout {
        inner: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
        closed: false,
    };
    let mut ctx = Ctx::new(&mut stdout, stderr, globals, &env_var);
    let ctx = &mut ctx;
    // `--targets`: the command on every database of the fleet.
    if let Some(fleet) = fleet {
        let Some(command) = verb.into_fleet() else {
            // `Run::fleet_misuse` refused it before.
            anyhow::bail!("--targets does not work with this command");
        };
        let done = migrate::fleet::run(ctx, &env_var, &fleet, &command);
        stdout.flush()?;
        return done.map(|()| true);
    }
    let ok = match verb {
        Verb::Init(a) => command::init(ctx, &a).map(|()| true),
        Verb::ListTemplates => command::list_templates(ctx).map(|()| true),
        Verb::Revision(a) => command::revision(ctx, &a).map(|()| true),
        Verb::Merge(a) => command::merge(ctx, &a).map(|()| true),
        Verb::Upgrade(a) => command::upgrade(ctx, &a).map(|()| true),
        Verb::Downgrade(a) => command::downgrade(ctx, &a).map(|()| true),
        Verb::Current { verbose } => command::current(ctx, verbose).map(|()| true),
        Verb::History(a) => command::history(ctx, &a).map(|()| true),
        Verb::Applied { verbose } => command::applied_history(ctx, verbose).map(|()| true),
        Verb::Heads(a) => command::heads(ctx, &a).map(|()| true),
        Verb::Branches { verbose } => command::branches(ctx, verbose).map(|()| true),
        Verb::Show(rev) => command::show(ctx, &rev).map(|()| true),
        Verb::Stamp(a) => command::stamp(ctx, &a).map(|()| true),
        Verb::Edit(rev) => command::edit(ctx, &rev).map(|()| true),
        Verb::Check(a) => command::check(ctx, &a),
        Verb::Lint(a) => command::lint(ctx, &a),
        Verb::EnsureVersion { sql } => command::ensure_version(ctx, sql).map(|()| true),
        Verb::Diff(a) => command::diff(ctx, &a),
        Verb::Baseline(a) => command::baseline(ctx, &a).map(|()| true),
        Verb::ImportAlembic(a) => command::import_alembic(ctx, &a),
        Verb::Test(a) => command::test(ctx, &a),
    };
    // What was written goes out before any error is printed.
    stdout.flush()?;
    ok
}

/// `completions` and `man`: straight to stdout, before `.env` is read, so a
/// broken `.env` in the working directory cannot break a shell's start-up.
fn print_doc(doc: &Doc) -> ExitCode {
    let mut stdout = Stdout {
        inner: std::io::BufWriter::new(std::io::stdout().lock()),
        closed: false,
    };
    match doc
        .write(&mut stdout)
        .and_then(|()| stdout.flush().map_err(DocError::Io))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(DocError::Usage(e)) => {
            let _ = e.print();
            ExitCode::from(2)
        }
        Err(DocError::Io(e)) => {
            let _ = writeln!(std::io::stderr(), "error: writing to stdout: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let cli = match cli.split() {
        Ok(run) => run,
        Err(doc) => return print_doc(&doc),
    };
    if let Some(e) = cli.fleet_misuse() {
        let _ = e.print();
        return ExitCode::from(2);
    }
    if let Some(message) = cli.format_refusal() {
        let _ = writeln!(std::io::stderr(), "error: {message}");
        return ExitCode::from(2);
    }
    migrate::interrupt::install();
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            let text = migrate::url::redact(&format!("{e:#}"));
            let _ = writeln!(std::io::stderr(), "error: {text}");
            ExitCode::from(1)
        }
    }
}
