//! Running the helper with the project's Python: which interpreter, the
//! child process, and its JSON report read into [`AlembicProject`].

use super::{AlembicProject, ImportError, HELPER};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The interpreter to run: `--python`, else the virtualenv beside
/// `alembic.ini` (`.venv`, `venv`), else `python3` on `PATH`.
pub fn find_python(explicit: Option<&Path>, ini_dir: &Path) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let bin = if cfg!(windows) {
        "Scripts/python.exe"
    } else {
        "bin/python"
    };
    for venv in [".venv", "venv"] {
        let p = ini_dir.join(venv).join(bin);
        if p.is_file() {
            return p;
        }
    }
    PathBuf::from("python3")
}

/// What the helper is asked to do.
pub struct HelperRun<'a> {
    pub python: &'a Path,
    /// `alembic.ini`; the helper runs in its folder, as `alembic` is run.
    pub ini: &'a Path,
    /// `--dialect` (None: from `sqlalchemy.url`).
    pub dialect: Option<&'a str>,
    /// An empty SQLite file the helper may fill, for `batch_alter_table`.
    pub scratch: Option<&'a Path>,
}

/// Runs the helper and reads its report.
pub fn run_helper(run: &HelperRun<'_>) -> Result<AlembicProject, ImportError> {
    let dir = run
        .ini
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut cmd = Command::new(run.python);
    cmd.arg("-")
        .arg(run.ini)
        .current_dir(dir)
        // Nothing written into the user's revision folders.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = run.dialect {
        cmd.arg("--dialect").arg(d);
    }
    if let Some(s) = run.scratch {
        cmd.arg("--scratch").arg(s);
    }
    let no_python = |error| ImportError::NoPython {
        python: run.python.to_path_buf(),
        error,
    };
    let mut child = cmd.spawn().map_err(no_python)?;
    if let Some(mut stdin) = child.stdin.take() {
        // Python reads the whole script before it runs it; a failed write
        // shows as the child's own failure below.
        let _ = stdin.write_all(HELPER.as_bytes());
    }
    let out = child.wait_with_output().map_err(no_python)?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let python = run.python.to_path_buf();
    if !out.status.success() {
        return Err(ImportError::HelperFailed {
            python,
            status: out.status.to_string(),
            stderr,
        });
    }
    read_report(&out.stdout, run.ini, python, stderr)
}

/// The helper's JSON: the project, or the error it reports.
fn read_report(
    stdout: &[u8],
    ini: &Path,
    python: PathBuf,
    stderr: String,
) -> Result<AlembicProject, ImportError> {
    let bad = |message: String, stderr: String| ImportError::BadReport {
        python: python.clone(),
        message,
        stderr,
    };
    // The report is the last line; anything the project's code printed comes before it.
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| bad(e.to_string(), stderr.clone()))?;
    if value.get("ok").and_then(serde_json::Value::as_bool) == Some(true) {
        return serde_json::from_value(value).map_err(|e| bad(e.to_string(), stderr));
    }
    let field = |k: &str| {
        value
            .get("error")
            .and_then(|e| e.get(k))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let message = field("message");
    let ini = ini.to_path_buf();
    Err(match field("kind").as_str() {
        "no_alembic" => ImportError::NoAlembic { python, message },
        "config" => ImportError::Config { ini, message },
        "scripts" => ImportError::Scripts { ini, message },
        "dialect" => ImportError::Dialect { message },
        other => bad(format!("unknown error kind `{other}`: {message}"), stderr),
    })
}
