//! TLS against the local servers, with certificates made here: a test CA and
//! a server certificate for `localhost` only (so 127.0.0.1 is the wrong name).
//!
//! PostgreSQL: the certificate goes into the running server's data directory
//! and is turned on with `ALTER SYSTEM` and a reload, no restart; plain
//! connections of the other tests go on working. Test binaries running at
//! the same time take turns with an advisory lock and share one certificate.
//! MariaDB 10.11 cannot load a certificate into a running server (ssl_cert is
//! read-only), so this binary starts a second mariadbd with TLS on a free
//! port, in a folder of its own; a watchdog ends it when the binary exits.
//! "A server without TLS" is a small proxy in front of either one that
//! answers as a server with TLS turned off does.
//!
//! Setting up needs root (CI runs as root): the certificate is handed to the
//! postgres and mysql users.

use crate::support::*;
use mysql::prelude::Queryable;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A CA and a server certificate for `localhost` that it signed, as PEM.
struct Pki {
    ca_name: String,
    ca: String,
    ca_key: String,
    cert: String,
    key: String,
}

fn ca_params(ca_name: &str) -> rcgen::CertificateParams {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyUsagePurpose};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca
}

fn make_pki(ca_name: &str) -> Pki {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params(ca_name);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let ca_key_pem = ca_key.serialize_pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = server.signed_by(&key, &issuer).unwrap();
    Pki {
        ca_name: ca_name.to_string(),
        ca: ca_cert.pem(),
        ca_key: ca_key_pem,
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// A client certificate (CN=migrate-test-client) signed by the CA `ca_name`
/// with key `ca_key`, written as `<stem>.crt` and `<stem>.key`; returns both paths.
fn client_cert(ca_name: &str, ca_key: &str, stem: &str) -> (PathBuf, PathBuf) {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair};
    // The same name, key usages and key make the same issuer as the CA certificate.
    let issuer = Issuer::new(ca_params(ca_name), KeyPair::from_pem(ca_key).unwrap());
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "migrate-test-client");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &issuer).unwrap();
    let (crt, k) = (
        local().dir.join(format!("{stem}.crt")),
        local().dir.join(format!("{stem}.key")),
    );
    std::fs::write(&crt, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (crt, k)
}

/// A client certificate from a CA neither server trusts.
fn wrong_client_cert() -> &'static (PathBuf, PathBuf) {
    static C: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    C.get_or_init(|| {
        let other = make_pki("some other client CA");
        client_cert(&other.ca_name, &other.ca_key, "wrong-client")
    })
}
/// Files this binary's clients read (CA copies), removed when the binary exits.
struct Local {
    dir: PathBuf,
    /// A CA that signed neither server's certificate.
    wrong_ca: PathBuf,
}

fn local() -> &'static Local {
    static L: OnceLock<Local> = OnceLock::new();
    L.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!(
            "migrate-tls-test-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let wrong_ca = dir.join("wrong-ca.crt");
        std::fs::write(&wrong_ca, make_pki("some other CA").ca).unwrap();
        when_this_binary_exits(&format!("rm -rf '{}'", dir.display()));
        Local { dir, wrong_ca }
    })
}

/// Runs a shell command once this test binary has exited, however it exits.
// The watchdog must outlive this process, so it is never waited for.
#[allow(clippy::zombie_processes)]
fn when_this_binary_exits(script: &str) {
    let me = std::process::id();
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while kill -0 {me} 2>/dev/null; do sleep 1; done; {script}"
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the watchdog shell");
}

// ---------------------------------------------------------------- PostgreSQL

fn pg_admin_url() -> String {
    std::env::var("MIGRATE_TEST_PG_URL").unwrap_or_else(|_| PG_ADMIN_DEFAULT.into())
}

/// The test server's user, host and port.
fn pg_parts() -> (String, String, u16) {
    let u = migrate::url::parse(&pg_admin_url()).expect("MIGRATE_TEST_PG_URL");
    (
        u.user.unwrap_or_else(|| "postgres".into()),
        u.host.unwrap_or_else(|| "127.0.0.1".into()),
        u.port.unwrap_or(5432),
    )
}

/// The CA the PostgreSQL server's certificate chains to (a local copy), which
/// it also trusts for client certificates, and a client certificate it signed.
struct PgTls {
    ca: PathBuf,
    client: (PathBuf, PathBuf),
}

fn pg_tls() -> &'static PgTls {
    static S: OnceLock<PgTls> = OnceLock::new();
    S.get_or_init(setup_pg)
}

fn pg_ca() -> &'static Path {
    &pg_tls().ca
}

const PG_CA_NAME: &str = "migrate test CA (PostgreSQL)";

fn setup_pg() -> PgTls {
    let url = pg_admin_url();
    let mut c = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("PostgreSQL is unreachable at {url}: {e}; run .ci/run"));
    // Test binaries running at once take turns; the lock goes with the session.
    c.batch_execute("SELECT pg_advisory_lock(7478130985)")
        .unwrap();
    let data: String = c.query_one("SHOW data_directory", &[]).unwrap().get(0);
    let data = PathBuf::from(data);
    let dir = data.join("migrate-test-tls");
    let (ca, ca_key, cert, key) = (
        dir.join("ca.crt"),
        dir.join("ca.key"),
        dir.join("server.crt"),
        dir.join("server.key"),
    );
    let existing = (
        std::fs::read_to_string(&ca),
        std::fs::read_to_string(&ca_key),
        cert.exists() && key.exists(),
    );
    let (ca_pem, ca_key_pem) = match existing {
        (Ok(pem), Ok(k), true) if pem.contains("BEGIN CERTIFICATE") => (pem, k),
        _ => {
            let pki = make_pki(PG_CA_NAME);
            let owner = std::fs::metadata(&data).unwrap_or_else(|e| {
                panic!("TLS tests put a certificate into PostgreSQL's data directory {}: {e}; run them as root (CI does)", data.display())
            });
            let tmp = data.join(format!(
                "migrate-test-tls.tmp-{}",
                uuid::Uuid::new_v4().simple()
            ));
            let write = || -> io::Result<()> {
                std::fs::create_dir(&tmp)?;
                std::fs::write(tmp.join("ca.crt"), &pki.ca)?;
                std::fs::write(tmp.join("ca.key"), &pki.ca_key)?;
                std::fs::write(tmp.join("server.crt"), &pki.cert)?;
                std::fs::write(tmp.join("server.key"), &pki.key)?;
                for k in ["server.key", "ca.key"] {
                    std::fs::set_permissions(tmp.join(k), PermissionsExt::from_mode(0o600))?;
                }
                for p in [
                    tmp.clone(),
                    tmp.join("ca.crt"),
                    tmp.join("ca.key"),
                    tmp.join("server.crt"),
                    tmp.join("server.key"),
                ] {
                    std::os::unix::fs::chown(&p, Some(owner.uid()), Some(owner.gid()))?;
                }
                if dir.exists() {
                    std::fs::remove_dir_all(&dir)?;
                }
                std::fs::rename(&tmp, &dir)
            };
            if let Err(e) = write() {
                let _ = std::fs::remove_dir_all(&tmp);
                panic!("TLS tests put a certificate into PostgreSQL's data directory {}: {e}; run them as root (CI does)", data.display());
            }
            (pki.ca, pki.ca_key)
        }
    };
    let quoted = |p: &Path| p.display().to_string().replace('\'', "''");
    for sql in [
        format!("ALTER SYSTEM SET ssl_cert_file = '{}'", quoted(&cert)),
        format!("ALTER SYSTEM SET ssl_key_file = '{}'", quoted(&key)),
        // Client certificates are checked when sent (trust in pg_hba asks for none).
        format!("ALTER SYSTEM SET ssl_ca_file = '{}'", quoted(&ca)),
        "ALTER SYSTEM SET ssl = on".to_string(),
        "SELECT pg_reload_conf()".to_string(),
    ] {
        c.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // New sessions see the reloaded settings once the postmaster has read them.
    let want = cert.display().to_string();
    let start = Instant::now();
    loop {
        let mut fresh = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let rows = fresh
            .query_one(
                "SELECT current_setting('ssl_cert_file'), current_setting('ssl'), current_setting('ssl_ca_file')",
                &[],
            )
            .unwrap();
        if rows.get::<_, String>(0) == want
            && rows.get::<_, String>(1) == "on"
            && rows.get::<_, String>(2) == ca.display().to_string()
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "PostgreSQL did not take the new TLS settings within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let local_ca = local().dir.join("pg-ca.crt");
    std::fs::write(&local_ca, ca_pem).unwrap();
    PgTls {
        ca: local_ca,
        client: client_cert(PG_CA_NAME, &ca_key_pem, "pg-client"),
    }
}

/// A URL for the test database `db` on `host`, with query options.
fn pg_url(host: &str, port: u16, db: &str, query: &str) -> String {
    let (user, _, _) = pg_parts();
    format!("postgresql://{user}@{host}:{port}/{db}?{query}")
}

/// A project on a fresh PostgreSQL database whose one revision records
/// whether its connection was encrypted.
fn pg_project() -> Project {
    pg_project_recording("ssl::text")
}

/// Same, recording `expr` over the session's row of pg_stat_ssl.
fn pg_project_recording(expr: &str) -> Project {
    let p = Project::new(Db::Postgres);
    p.revision(
        "a1",
        &[],
        &format!("CREATE TABLE seen AS SELECT {expr} AS tls FROM pg_stat_ssl WHERE pid = pg_backend_pid();"),
        "DROP TABLE seen;",
    );
    p
}

/// Upgrades over `url`: Ok(whether the connection was encrypted), or the failed run.
fn encrypted(p: &Project, url: &str) -> Result<bool, Run> {
    let tls = recorded(p, url)?;
    Ok(match p.db.kind {
        Db::MySql => !tls.is_empty(),
        _ => tls == "true",
    })
}

/// Upgrades over `url`, reads what the revision recorded and downgrades again.
fn recorded(p: &Project, url: &str) -> Result<String, Run> {
    let run = p.run(&["--url", url, "upgrade", "head"]);
    if run.code != 0 {
        return Err(run);
    }
    let tls = match p.db.kind {
        Db::MySql => my_query(url, "SELECT tls FROM seen"),
        _ => {
            p.db.query("SELECT tls FROM seen")
                .into_iter()
                .map(|r| r[0].clone())
                .collect()
        }
    };
    p.run(&["--url", url, "downgrade", "base"]).ok();
    assert_eq!(tls.len(), 1, "{url}: {tls:?}");
    Ok(tls[0].clone())
}

#[test]
fn postgres_client_certificate_is_sent_and_checked_by_the_server() {
    crate::require!(Db::Postgres);
    let t = pg_tls();
    let p = pg_project_recording("coalesce(client_dn, '')");
    let (_, host, port) = pg_parts();
    let (crt, key) = (t.client.0.display(), t.client.1.display());
    let url = pg_url(
        &host,
        port,
        &p.db.name,
        &format!("sslmode=require&sslcert={crt}&sslkey={key}"),
    );
    match recorded(&p, &url) {
        Ok(dn) => assert_eq!(dn, "/CN=migrate-test-client", "{url}"),
        Err(run) => panic!("{url} failed:\n{}", run.stderr),
    }
    let (wcrt, wkey) = (
        wrong_client_cert().0.display(),
        wrong_client_cert().1.display(),
    );
    let url = pg_url(
        &host,
        port,
        &p.db.name,
        &format!("sslmode=require&sslcert={wcrt}&sslkey={wkey}"),
    );
    let run = recorded(&p, &url).expect_err(&url).fails();
    assert!(
        run.stderr.contains(&format!(
            "error: the PostgreSQL server at {host}:{port} rejected the client certificate sslcert={wcrt} (TLS alert `"
        )) && run.stderr.contains("give a certificate signed by a CA in the server's ssl_ca_file"),
        "{}",
        run.stderr
    );
}

#[test]
fn postgres_tls_modes_connect_as_libpq_does() {
    crate::require!(Db::Postgres);
    let ca = pg_ca().display().to_string();
    let p = pg_project();
    let (_, host, port) = pg_parts();
    let db = p.db.name.clone();
    let cases = [
        (host.as_str(), "sslmode=disable".to_string(), false),
        // allow: plain first, and this server accepts plain.
        (&host, "sslmode=allow".into(), false),
        (&host, "sslmode=prefer".into(), true),
        // no sslmode: libpq's default, prefer.
        (&host, "application_name=x".into(), true),
        (&host, "sslmode=require".into(), true),
        // require with sslrootcert checks the chain, as libpq does.
        (&host, format!("sslmode=require&sslrootcert={ca}"), true),
        // verify-ca checks the chain, not the name: 127.0.0.1 is not in the certificate.
        (&host, format!("sslmode=verify-ca&sslrootcert={ca}"), true),
        (
            "localhost",
            format!("sslmode=verify-full&sslrootcert={ca}"),
            true,
        ),
        (
            "localhost",
            format!("sslmode=verify-full&sslrootcert={ca}&hostaddr=127.0.0.1"),
            true,
        ),
    ];
    for (h, q, want) in cases {
        let url = pg_url(h, port, &db, &q);
        match encrypted(&p, &url) {
            Ok(tls) => assert_eq!(tls, want, "{url}: encrypted"),
            Err(run) => panic!("{url} failed:\n{}", run.stderr),
        }
    }
}

#[test]
fn postgres_verify_ca_with_a_wrong_ca_fails() {
    crate::require!(Db::Postgres);
    let _ = pg_ca();
    let wrong = local().wrong_ca.display().to_string();
    let p = pg_project();
    let (_, host, port) = pg_parts();
    for mode in ["verify-ca", "verify-full", "require"] {
        let h = if mode == "verify-full" {
            "localhost"
        } else {
            host.as_str()
        };
        let url = pg_url(
            h,
            port,
            &p.db.name,
            &format!("sslmode={mode}&sslrootcert={wrong}"),
        );
        let run = encrypted(&p, &url).expect_err(&url).fails();
        assert!(
            run.stderr.contains(&format!(
                "the certificate of the PostgreSQL server at {h}:{port} is not signed by the CA in sslrootcert={wrong} (sslmode={mode}); give the CA that issued the server's certificate as sslrootcert=PATH, or use sslmode=require"
            )),
            "{mode}: {}",
            run.stderr
        );
    }
    // No sslrootcert: the built-in public roots, which never signed a test CA.
    let url = pg_url("localhost", port, &p.db.name, "sslmode=verify-full");
    let run = encrypted(&p, &url).expect_err(&url).fails();
    assert!(
        run.stderr.contains("no sslrootcert given"),
        "{}",
        run.stderr
    );
    assert!(p.db.versions_or_empty().is_empty());
}

#[test]
fn postgres_verify_full_against_the_wrong_host_name_fails() {
    crate::require!(Db::Postgres);
    let ca = pg_ca().display().to_string();
    let p = pg_project();
    let (_, _, port) = pg_parts();
    let url = pg_url(
        "127.0.0.1",
        port,
        &p.db.name,
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let run = encrypted(&p, &url).expect_err(&url).fails();
    assert!(
        run.stderr.contains(&format!(
            "error: the certificate of the PostgreSQL server at 127.0.0.1:{port} does not match host name '127.0.0.1': it is for localhost (sslmode=verify-full); connect with a name the certificate lists, or use sslmode=verify-ca to check the chain but not the name"
        )),
        "{}",
        run.stderr
    );
    assert!(p.db.versions_or_empty().is_empty());
}

/// A proxy in front of `upstream` that runs `hello` on each new connection
/// (client, server) and then passes bytes both ways; returns its port.
fn proxy(upstream: SocketAddr, hello: fn(&mut TcpStream, &mut TcpStream) -> io::Result<()>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            std::thread::spawn(move || {
                let Ok(mut server) = TcpStream::connect(upstream) else {
                    return;
                };
                if hello(&mut client, &mut server).is_ok() {
                    pipe(client, server);
                }
            });
        }
    });
    port
}

fn pipe(a: TcpStream, b: TcpStream) {
    let (Ok(mut a2), Ok(mut b2)) = (a.try_clone(), b.try_clone()) else {
        return;
    };
    let (mut a, mut b) = (a, b);
    let t = std::thread::spawn(move || {
        let _ = io::copy(&mut a, &mut b2);
        let _ = b2.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut b, &mut a2);
    let _ = a2.shutdown(Shutdown::Write);
    let _ = t.join();
}

/// PostgreSQL with TLS off answers an SSLRequest with `N`.
fn pg_no_tls_hello(client: &mut TcpStream, server: &mut TcpStream) -> io::Result<()> {
    let mut first = [0u8; 8];
    client.read_exact(&mut first)?;
    if first == [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f] {
        client.write_all(b"N")
    } else {
        server.write_all(&first)
    }
}

fn pg_without_tls() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        let (_, host, port) = pg_parts();
        let addr = format!("{host}:{port}")
            .parse()
            .expect("PostgreSQL test host is an IP address");
        proxy(addr, pg_no_tls_hello)
    })
}

#[test]
fn postgres_require_fails_on_a_server_without_tls_and_prefer_falls_back() {
    crate::require!(Db::Postgres);
    let p = pg_project();
    let port = pg_without_tls();
    for mode in ["prefer", "allow", "disable"] {
        let url = pg_url("127.0.0.1", port, &p.db.name, &format!("sslmode={mode}"));
        match encrypted(&p, &url) {
            Ok(tls) => assert!(!tls, "{url}"),
            Err(run) => panic!("{url} failed:\n{}", run.stderr),
        }
    }
    for mode in ["require", "verify-full"] {
        let url = pg_url("127.0.0.1", port, &p.db.name, &format!("sslmode={mode}"));
        let run = encrypted(&p, &url).expect_err(&url).fails();
        assert!(
            run.stderr.contains(&format!(
                "error: the PostgreSQL server at 127.0.0.1:{port} does not offer TLS (sslmode={mode}); turn TLS on in the server (ssl = on, ssl_cert_file and ssl_key_file in postgresql.conf), or use sslmode=prefer to fall back to an unencrypted connection"
            )),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn tls_options_that_cannot_work_are_named_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("migrations/versions")).unwrap();
    std::fs::write(
        dir.path().join("migrate.toml"),
        "[migrate]\nscript_location = \"migrations\"\n",
    )
    .unwrap();
    let missing = dir.path().join("nope.pem");
    let cases = [
        (
            format!("postgresql://u:s3cret@127.0.0.1:1/db?sslmode=verify-full&sslrootcert={}", missing.display()),
            format!("cannot read sslrootcert={}", missing.display()),
        ),
        (
            "postgresql://u:s3cret@127.0.0.1:1/db?sslmode=sometimes".to_string(),
            "bad `sslmode=sometimes` in postgresql://u:***@127.0.0.1:1/db?sslmode=sometimes: expected one of disable, allow, prefer, require, verify-ca, verify-full".to_string(),
        ),
        (
            "postgresql://u:s3cret@127.0.0.1:1/db?sslcert=/c.pem".to_string(),
            "gives sslcert without sslkey".to_string(),
        ),
        (
            format!("mysql://u:s3cret@127.0.0.1:1/db?ssl-mode=VERIFY_CA&ssl-ca={}", missing.display()),
            format!("cannot read ssl-ca={}", missing.display()),
        ),
        (
            "mysql://u:s3cret@127.0.0.1:1/db?ssl_mode=sometimes".to_string(),
            "expected one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY".to_string(),
        ),
    ];
    for (url, want) in cases {
        let run = migrate_in(dir.path(), &["--url", &url, "current"], &[]).fails();
        assert!(run.stderr.contains(&want), "{url}: {}", run.stderr);
        assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    }
}

// ------------------------------------------------------------------- MariaDB

/// The second mariadbd, with TLS, for this test binary.
struct MyTls {
    port: u16,
    ca: PathBuf,
    client: (PathBuf, PathBuf),
}

fn my_tls() -> &'static MyTls {
    static S: OnceLock<MyTls> = OnceLock::new();
    S.get_or_init(setup_mariadb)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn setup_mariadb() -> MyTls {
    let bin = [
        "/usr/sbin/mariadbd",
        "/usr/sbin/mysqld",
        "/usr/bin/mariadbd",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("no mariadbd in /usr/sbin: install mariadb-server (.ci/run does)");
    let dir = std::env::temp_dir().join(format!(
        "migrate-tls-mariadb-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    ));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let pki = make_pki("migrate test CA (MariaDB)");
    let client = client_cert(&pki.ca_name, &pki.ca_key, "mariadb-client");
    for (name, pem) in [
        ("ca.crt", &pki.ca),
        ("server.crt", &pki.cert),
        ("server.key", &pki.key),
    ] {
        std::fs::write(dir.join(name), pem).unwrap();
    }
    std::fs::set_permissions(dir.join("server.key"), PermissionsExt::from_mode(0o600)).unwrap();
    let root = is_root();
    if root {
        let ok = Command::new("chown")
            .args(["-R", "mysql:mysql"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "chown -R mysql:mysql {} failed: is mariadb-server installed?",
            dir.display()
        );
    }
    // A free port: bound, read, released (mariadbd takes it a moment later).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(&bin);
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", dir.join("data").display()))
        .arg(format!("--port={port}"))
        .arg("--bind-address=127.0.0.1")
        .arg(format!("--socket={}", dir.join("mysqld.sock").display()))
        .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
        .arg(format!("--log-error={}", dir.join("error.log").display()))
        .arg("--skip-grant-tables")
        .arg("--skip-log-bin")
        .arg("--innodb-buffer-pool-size=16M")
        .arg(format!("--ssl-ca={}", dir.join("ca.crt").display()))
        .arg(format!("--ssl-cert={}", dir.join("server.crt").display()))
        .arg(format!("--ssl-key={}", dir.join("server.key").display()));
    if root {
        cmd.arg("--user=mysql");
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    when_this_binary_exits(&format!(
        "kill {pid} 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 {pid} 2>/dev/null || break; sleep 1; done; kill -9 {pid} 2>/dev/null; rm -rf '{dir}'",
        pid = child.id(),
        dir = dir.display()
    ));
    let start = Instant::now();
    loop {
        if my_plain(port, None).is_ok() {
            break;
        }
        let log = || std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        if let Ok(Some(status)) = child.try_wait() {
            panic!("mariadbd with TLS exited ({status}):\n{}", log());
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "mariadbd with TLS did not accept connections on 127.0.0.1:{port} within 60 s:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let ca = local().dir.join("mariadb-ca.crt");
    std::fs::write(&ca, &pki.ca).unwrap();
    // The child is reaped by the watchdog's kill; keep no handle.
    std::mem::forget(child);
    MyTls { port, ca, client }
}

fn my_plain(port: u16, db: Option<&str>) -> Result<mysql::Conn, mysql::Error> {
    mysql::Conn::new(
        mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(port)
            .user(Some("root"))
            .db_name(db)
            .prefer_socket(false),
    )
}

fn my_query(url: &str, sql: &str) -> Vec<String> {
    let u = migrate::url::parse(url).unwrap();
    let mut c = my_plain(my_tls().port, u.database.as_deref()).unwrap();
    c.query::<Option<String>, _>(sql)
        .unwrap()
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}

/// A project whose database lives on the MariaDB with TLS; its one revision
/// records the connection's cipher (empty without TLS).
fn my_project() -> (Project, String) {
    let port = my_tls().port;
    let p = Project::new(Db::MySql);
    let name = p.db.name.clone();
    my_plain(port, None)
        .unwrap()
        .query_drop(format!("CREATE DATABASE `{name}`"))
        .unwrap();
    p.revision(
        "a1",
        &[],
        "CREATE TABLE seen AS SELECT VARIABLE_VALUE AS tls FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER';",
        "DROP TABLE seen;",
    );
    (p, name)
}

fn my_url(host: &str, port: u16, db: &str, query: &str) -> String {
    format!("mysql://root@{host}:{port}/{db}?{query}")
}

#[test]
fn mariadb_tls_modes_connect_as_mysql_does() {
    crate::require!(Db::MySql);
    let t = my_tls();
    let ca = t.ca.display().to_string();
    let (p, db) = my_project();
    let cases = [
        ("127.0.0.1", "ssl-mode=DISABLED".to_string(), false),
        ("127.0.0.1", "ssl-mode=PREFERRED".into(), true),
        // no ssl-mode: PREFERRED, as the mysql client.
        ("127.0.0.1", "connect_timeout=5".into(), true),
        ("127.0.0.1", "ssl-mode=REQUIRED".into(), true),
        ("127.0.0.1", "ssl_mode=required".into(), true),
        // VERIFY_CA checks the chain, not the name: 127.0.0.1 is not in the certificate.
        ("127.0.0.1", format!("ssl-mode=VERIFY_CA&ssl-ca={ca}"), true),
        // ssl-ca alone means VERIFY_CA.
        ("127.0.0.1", format!("ssl_ca={ca}"), true),
        (
            "localhost",
            format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"),
            true,
        ),
    ];
    for (h, q, want) in cases {
        let url = my_url(h, t.port, &db, &q);
        match encrypted(&p, &url) {
            Ok(tls) => assert_eq!(tls, want, "{url}: encrypted"),
            Err(run) => panic!("{url} failed:\n{}", run.stderr),
        }
    }
}

#[test]
fn mariadb_verify_ca_with_a_wrong_ca_fails() {
    crate::require!(Db::MySql);
    let t = my_tls();
    let wrong = local().wrong_ca.display().to_string();
    let (p, db) = my_project();
    for (h, mode) in [("127.0.0.1", "VERIFY_CA"), ("localhost", "VERIFY_IDENTITY")] {
        let url = my_url(h, t.port, &db, &format!("ssl-mode={mode}&ssl-ca={wrong}"));
        let run = encrypted(&p, &url).expect_err(&url).fails();
        assert!(
            run.stderr.contains(&format!(
                "error: the certificate of the MySQL server at {h}:{} is not signed by the CA in ssl-ca={wrong} (ssl-mode={mode}); give the CA that issued the server's certificate as ssl-ca=PATH, or use ssl-mode=REQUIRED",
                t.port
            )),
            "{mode}: {}",
            run.stderr
        );
    }
}

#[test]
fn mariadb_verify_identity_against_the_wrong_host_name_fails() {
    crate::require!(Db::MySql);
    let t = my_tls();
    let ca = t.ca.display().to_string();
    let (p, db) = my_project();
    let url = my_url(
        "127.0.0.1",
        t.port,
        &db,
        &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"),
    );
    let run = encrypted(&p, &url).expect_err(&url).fails();
    assert!(
        run.stderr.contains(&format!(
            "error: the certificate of the MySQL server at 127.0.0.1:{} does not match host name '127.0.0.1': it is for localhost (ssl-mode=VERIFY_IDENTITY); connect with a name the certificate lists, or use ssl-mode=VERIFY_CA to check the chain but not the name",
            t.port
        )),
        "{}",
        run.stderr
    );
}

/// MySQL with TLS off leaves CLIENT_SSL out of its greeting.
fn my_no_tls_hello(client: &mut TcpStream, server: &mut TcpStream) -> io::Result<()> {
    let mut head = [0u8; 4];
    server.read_exact(&mut head)?;
    let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
    let mut greeting = vec![0u8; len];
    server.read_exact(&mut greeting)?;
    // protocol version, server version (NUL-terminated), connection id (4),
    // auth data (8), filler (1), then the low two bytes of the capabilities.
    let nul = greeting[1..]
        .iter()
        .position(|b| *b == 0)
        .ok_or_else(|| io::Error::other("no server version"))?;
    let caps = 1 + nul + 1 + 4 + 8 + 1;
    let byte = greeting
        .get_mut(caps + 1)
        .ok_or_else(|| io::Error::other("short greeting"))?;
    *byte &= !0x08; // CLIENT_SSL = 0x0800
    client.write_all(&head)?;
    client.write_all(&greeting)
}

fn mariadb_without_tls() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        let addr = SocketAddr::from(([127, 0, 0, 1], my_tls().port));
        proxy(addr, my_no_tls_hello)
    })
}

#[test]
fn mariadb_required_fails_on_a_server_without_tls_and_preferred_falls_back() {
    crate::require!(Db::MySql);
    let (p, db) = my_project();
    let port = mariadb_without_tls();
    for mode in ["PREFERRED", "DISABLED"] {
        let url = my_url("127.0.0.1", port, &db, &format!("ssl-mode={mode}"));
        match encrypted(&p, &url) {
            Ok(tls) => assert!(!tls, "{url}"),
            Err(run) => panic!("{url} failed:\n{}", run.stderr),
        }
    }
    for mode in ["REQUIRED", "VERIFY_IDENTITY"] {
        let url = my_url("127.0.0.1", port, &db, &format!("ssl-mode={mode}"));
        let run = encrypted(&p, &url).expect_err(&url).fails();
        assert!(
            run.stderr.contains(&format!(
                "error: the MySQL server at 127.0.0.1:{port} does not offer TLS (ssl-mode={mode}); turn TLS on in the server (ssl_cert and ssl_key in the server's configuration), or use ssl-mode=PREFERRED to fall back to an unencrypted connection"
            )),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn mariadb_client_certificate_is_sent_and_checked_by_the_server() {
    crate::require!(Db::MySql);
    let t = my_tls();
    let (p, db) = my_project();
    let (crt, key) = (t.client.0.display(), t.client.1.display());
    let url = my_url(
        "127.0.0.1",
        t.port,
        &db,
        &format!("ssl-mode=REQUIRED&ssl-cert={crt}&ssl-key={key}"),
    );
    match encrypted(&p, &url) {
        Ok(tls) => assert!(tls, "{url}"),
        Err(run) => panic!("{url} failed:\n{}", run.stderr),
    }
    let (wcrt, wkey) = (
        wrong_client_cert().0.display(),
        wrong_client_cert().1.display(),
    );
    let url = my_url(
        "127.0.0.1",
        t.port,
        &db,
        &format!("ssl-mode=REQUIRED&ssl-cert={wcrt}&ssl-key={wkey}"),
    );
    let run = encrypted(&p, &url).expect_err(&url).fails();
    assert!(
        run.stderr.contains(&format!(
            "error: the MySQL server at 127.0.0.1:{} rejected the client certificate ssl-cert={wcrt} (TLS alert `",
            t.port
        )) && run.stderr.contains("give a certificate signed by a CA in the server's ssl_ca"),
        "{}",
        run.stderr
    );
}
