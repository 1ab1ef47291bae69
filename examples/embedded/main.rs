//! A small service that migrates its own database at start-up, with its
//! revisions embedded in the binary: nothing to ship beside it.
//!
//! ```sh
//! DATABASE_URL=postgresql://app@localhost/app cargo run --example embedded
//! curl localhost:8080/     # the database's current revisions
//! ```
//!
//! `--once` migrates and exits (what a test or a one-shot job wants).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite:///todos.db".into());
    let migrator = migrate::Migrator::embedded(&migrate::embed_migrations!(
        "$CARGO_MANIFEST_DIR/examples/embedded/migrations/versions"
    ))?
    .url(&url)
    // In a container the database may still be starting: keep trying for a minute.
    .wait(std::time::Duration::from_secs(60))
    .on_progress(|event| {
        if let migrate::Event::StepStarted(step) = event {
            eprintln!("{step}");
        }
    });
    let steps = migrator.upgrade("head")?;
    eprintln!(
        "migrated: {} revision(s) applied, at {}",
        steps.len(),
        migrator.current()?.join(", ")
    );
    if std::env::args().any(|a| a == "--once") {
        return Ok(());
    }
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    eprintln!("listening on 127.0.0.1:{port}");
    for stream in listener.incoming() {
        let mut stream = stream?;
        let mut request = String::new();
        BufReader::new(&stream).read_line(&mut request)?;
        let body = format!("{}\n", migrator.current()?.join("\n"));
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )?;
    }
    Ok(())
}
