//! The lock of `lock = "table"`: a lease in the one row of
//! `<version_table>_lock`, taken, renewed and released with short
//! autocommit statements on a connection of its own (SQL: `dialect::lock_table`).
//!
//! Renewal runs on a background thread that owns nothing but that
//! connection: every third of the lease it extends the lease from the
//! server's clock. A long single statement on the run's connection therefore
//! never lets the lease run out, and a holder that dies (SIGKILL, a lost
//! host) stops renewing, so its lease ends and the next run takes the row
//! over. When a renewal finds the row no longer this run's, or renewals
//! fail until the lease is over, the lock counts as lost: the run checks
//! before each step and each commit, and stops.

use crate::dialect::lock_table::{Holder, LockTable, Owner};
use crate::dialect::{Database, DbError, VersionTable};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The connection the lock's statements run on, shared with the renewer.
type LockConn = Arc<Mutex<Box<dyn Database + Send>>>;

/// What one attempt to take the lock found.
#[derive(Debug)]
pub enum Attempt {
    /// The row was free: now this run's.
    Taken,
    /// The row's lease had run out: taken over from its holder.
    TakenOver(Holder),
    /// Someone else holds it.
    Held,
}

/// A `lock = "table"` lease, held or not. Released on drop.
pub struct TableLock {
    conn: LockConn,
    sql: Arc<LockTable>,
    owner: Owner,
    lease: Duration,
    held: bool,
    created: bool,
    renewer: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
    /// Why the lock was lost, set by the renewer.
    lost: Arc<Mutex<Option<String>>>,
    /// The run's own write transaction keeps every other writer out,
    /// renewals and takeovers alike (SQLite, `Capabilities::lock_is_transaction`):
    /// a renewal that fails meanwhile is expected and means nothing, as no
    /// other run can take the row over before that transaction ends.
    writes_wait_for_run: bool,
}

fn lease_secs(lease: Duration) -> u64 {
    lease.as_secs().max(1)
}

impl TableLock {
    /// A lock on the lock table beside `version_table`, its statements on `conn`.
    pub fn new(
        conn: Box<dyn Database + Send>,
        version_table: &VersionTable,
        lease: Duration,
    ) -> TableLock {
        let sql = Arc::new(LockTable::new(conn.dialect(), version_table));
        let writes_wait_for_run = conn.capabilities().lock_is_transaction;
        TableLock {
            writes_wait_for_run,
            conn: Arc::new(Mutex::new(conn)),
            sql,
            owner: Owner {
                id: uuid::Uuid::new_v4().simple().to_string(),
                host: crate::dialect::sqlite::local_host(),
                pid: std::process::id(),
            },
            lease,
            held: false,
            created: false,
            renewer: None,
            lost: Arc::new(Mutex::new(None)),
        }
    }

    /// The lock table's quoted name, for messages.
    pub fn table(&self) -> &str {
        self.sql.name()
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut dyn Database) -> T) -> T {
        let mut guard = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(guard.as_mut())
    }

    /// Creates the lock table when it is missing. Two runs creating it at
    /// once may collide (PostgreSQL's catalog); the table being there after
    /// a failure is success.
    fn ensure_table(&mut self) -> Result<(), DbError> {
        if self.created {
            return Ok(());
        }
        let sql = self.sql.clone();
        let place = sql.place.clone();
        self.with_conn(|db| {
            if db.table_exists(place.schema.as_deref(), &place.name)? {
                return Ok(());
            }
            match db.execute_simple(&sql.create()) {
                Ok(_) => Ok(()),
                Err(e) => match db.table_exists(place.schema.as_deref(), &place.name) {
                    Ok(true) => Ok(()),
                    _ => Err(e),
                },
            }
        })?;
        self.created = true;
        Ok(())
    }

    /// The row as it is now, if there is one.
    pub fn read(&mut self) -> Result<Option<Holder>, DbError> {
        let sql = self.sql.read();
        let rows = self.with_conn(|db| db.query_simple(&sql))?;
        Ok(rows.first().and_then(|r| Holder::from_row(r)))
    }

    /// One attempt to take the lock; on success the renewer starts.
    pub fn try_acquire(&mut self) -> Result<Attempt, DbError> {
        self.ensure_table()?;
        let secs = lease_secs(self.lease);
        let attempt = match self.read()? {
            None => {
                let sql = self.sql.insert(&self.owner, secs);
                if self.with_conn(|db| db.execute_simple(&sql))? == 1 {
                    Attempt::Taken
                } else {
                    // Another run inserted first.
                    Attempt::Held
                }
            }
            Some(h) if h.expired() => {
                let sql = self.sql.take_over(&self.owner, secs, &h.owner);
                if self.with_conn(|db| db.execute_simple(&sql))? == 1 {
                    Attempt::TakenOver(h)
                } else {
                    Attempt::Held
                }
            }
            Some(_) => Attempt::Held,
        };
        if matches!(attempt, Attempt::Taken | Attempt::TakenOver(_)) {
            self.held = true;
            self.start_renewer();
        }
        Ok(attempt)
    }

    fn start_renewer(&mut self) {
        let (tx, rx) = mpsc::channel::<()>();
        let conn = Arc::clone(&self.conn);
        let sql = self.sql.renew(&self.owner, lease_secs(self.lease));
        let lost = Arc::clone(&self.lost);
        let lease = self.lease;
        let errors_are_expected = self.writes_wait_for_run;
        let every = (lease / 3).max(Duration::from_millis(200));
        let handle = std::thread::spawn(move || {
            let mut renewed = Instant::now();
            loop {
                match rx.recv_timeout(every) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                let result = {
                    let mut db = conn
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    db.execute_simple(&sql)
                };
                let why = match result {
                    Ok(1) => {
                        renewed = Instant::now();
                        continue;
                    }
                    Ok(_) => "the lock row is no longer this run's (another run took it over after the lease ran out)".to_string(),
                    Err(e) if renewed.elapsed() >= lease && !errors_are_expected => format!(
                        "the lease could not be renewed for {} s: {e}",
                        renewed.elapsed().as_secs()
                    ),
                    // Transient (a busy SQLite file, a dropped pooler
                    // connection): the next renewal may succeed in time.
                    Err(_) => continue,
                };
                *lost
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(why);
                return;
            }
        });
        self.renewer = Some((tx, handle));
    }

    /// Why the lock is no longer this run's, once the renewer found out.
    pub fn lost(&self) -> Option<String> {
        self.lost
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Who holds the lock, in words.
    pub fn holder(&mut self) -> Option<String> {
        self.read().ok().flatten().map(|h| h.to_string())
    }

    /// Stops renewing and deletes this run's row (nothing when it is no
    /// longer this run's).
    pub fn release(&mut self) -> Result<(), DbError> {
        if let Some((tx, handle)) = self.renewer.take() {
            drop(tx);
            let _ = handle.join();
        }
        if !self.held {
            return Ok(());
        }
        self.held = false;
        let sql = self.sql.release(&self.owner);
        self.with_conn(|db| db.execute_simple(&sql)).map(|_| ())
    }
}

impl Drop for TableLock {
    fn drop(&mut self) {
        let _ = self.release();
    }
}
