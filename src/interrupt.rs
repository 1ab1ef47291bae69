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

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Stops the statement a connection is running, from another thread (Ctrl-C).
pub type Canceller = Arc<dyn Fn() + Send + Sync>;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// What stops each statement running now: one per connection at work (a
/// fleet runs several at once), by a number of its own.
static CANCEL: Mutex<Vec<(u64, Canceller)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

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
            for (_, cancel) in slot.iter() {
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
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let armed = match cancel {
        Some(c) => CANCEL.lock().map(|mut slot| slot.push((id, c))).is_ok(),
        None => false,
    };
    let result = f();
    if armed {
        if let Ok(mut slot) = CANCEL.lock() {
            slot.retain(|(i, _)| *i != id);
        }
    }
    result
}
