//! Ctrl-C (and SIGTERM, which container runtimes send to stop a process),
//! handled once for the whole program: the first one asks the running
//! command to stop cleanly, the second one ends the process at once.
//!
//! Stopping cleanly: a statement running inside a transaction is cancelled
//! (it is rolled back with the transaction anyway); a statement running
//! outside one is left to finish, and the run stops before the next, with
//! the audit log saying where. The guards then roll back what is open,
//! release the lock and drop scratch databases, and the command fails with
//! a message saying what stayed applied.

use crate::dialect::Canceller;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static CANCEL: Mutex<Option<Canceller>> = Mutex::new(None);

/// Installs the handler (once per process; the binary calls it at start).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: the user wants out now.
            std::process::exit(130);
        }
        let _ =
            writeln_stderr("Interrupted: stopping at a safe point (Ctrl-C again to quit at once)");
        if let Ok(slot) = CANCEL.lock() {
            if let Some(cancel) = slot.as_ref() {
                cancel();
            }
        }
    });
}

fn writeln_stderr(line: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stderr(), "{line}")
}

/// True once Ctrl-C was pressed: the run should stop at the next safe point.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Runs `f` (one statement) with `cancel` as what Ctrl-C calls meanwhile.
pub fn cancellable<T>(cancel: Option<Canceller>, f: impl FnOnce() -> T) -> T {
    let armed = cancel.is_some();
    if armed {
        if let Ok(mut slot) = CANCEL.lock() {
            *slot = cancel;
        }
    }
    let result = f();
    if armed {
        if let Ok(mut slot) = CANCEL.lock() {
            *slot = None;
        }
    }
    result
}
