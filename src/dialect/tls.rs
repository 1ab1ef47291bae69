//! TLS for PostgreSQL and MySQL/MariaDB, on rustls with the ring provider
//! only (one crypto backend, no OpenSSL).
//!
//! It reads the URL's TLS words (libpq's `sslmode`, MySQL's `ssl-mode`) into
//! one policy, [`Verify`]; builds the rustls client configuration for
//! PostgreSQL (the `mysql` crate builds its own from `SslOpts`, with the same
//! three policies); and turns a failed handshake into one sentence that names
//! the server, the mode and the way out ([`explain`]). Reads only the
//! certificate and key files the URL names.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::Kind;

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PgSslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl PgSslMode {
    /// The words libpq accepts.
    pub const WORDS: &'static str = "disable, allow, prefer, require, verify-ca, verify-full";

    pub fn parse(s: &str) -> Option<PgSslMode> {
        Some(match s {
            "disable" => PgSslMode::Disable,
            "allow" => PgSslMode::Allow,
            "prefer" => PgSslMode::Prefer,
            "require" => PgSslMode::Require,
            "verify-ca" => PgSslMode::VerifyCa,
            "verify-full" => PgSslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PgSslMode::Disable => "disable",
            PgSslMode::Allow => "allow",
            PgSslMode::Prefer => "prefer",
            PgSslMode::Require => "require",
            PgSslMode::VerifyCa => "verify-ca",
            PgSslMode::VerifyFull => "verify-full",
        }
    }

    /// What is checked once TLS is on. As libpq: `require` with an
    /// `sslrootcert` behaves as `verify-ca`.
    pub fn verify(self, has_root_cert: bool) -> Verify {
        match self {
            PgSslMode::Disable | PgSslMode::Allow | PgSslMode::Prefer => Verify::Nothing,
            PgSslMode::Require if has_root_cert => Verify::Chain,
            PgSslMode::Require => Verify::Nothing,
            PgSslMode::VerifyCa => Verify::Chain,
            PgSslMode::VerifyFull => Verify::Full,
        }
    }
}

/// MySQL's `ssl-mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MySslMode {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl MySslMode {
    /// The words MySQL accepts.
    pub const WORDS: &'static str = "DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY";

    /// Case-insensitive; `-` may stand for `_`, and libpq's words are understood too.
    pub fn parse(s: &str) -> Option<MySslMode> {
        Some(match s.to_ascii_uppercase().replace('-', "_").as_str() {
            "DISABLED" | "DISABLE" => MySslMode::Disabled,
            "PREFERRED" | "PREFER" => MySslMode::Preferred,
            "REQUIRED" | "REQUIRE" => MySslMode::Required,
            "VERIFY_CA" => MySslMode::VerifyCa,
            "VERIFY_IDENTITY" | "VERIFY_FULL" => MySslMode::VerifyIdentity,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MySslMode::Disabled => "DISABLED",
            MySslMode::Preferred => "PREFERRED",
            MySslMode::Required => "REQUIRED",
            MySslMode::VerifyCa => "VERIFY_CA",
            MySslMode::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }

    /// What is checked once TLS is on (MySQL's REQUIRED checks nothing, even with `ssl-ca`).
    pub fn verify(self) -> Verify {
        match self {
            MySslMode::Disabled | MySslMode::Preferred | MySslMode::Required => Verify::Nothing,
            MySslMode::VerifyCa => Verify::Chain,
            MySslMode::VerifyIdentity => Verify::Full,
        }
    }
}

/// What the client checks in the server's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Encrypt, trust any certificate (the handshake signature is still checked).
    Nothing,
    /// The chain must lead to a trusted CA; the host name is not checked.
    Chain,
    /// The chain and the host name.
    Full,
}

/// Why TLS cannot be set up for a connection, before any connection is tried:
/// the option (`sslrootcert`, `ssl-ca`, …) and the file it names.
#[derive(Debug)]
pub enum TlsError {
    /// The file cannot be read.
    Unreadable {
        option: String,
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file is not PEM.
    BadPem {
        option: String,
        path: PathBuf,
        error: String,
    },
    /// The file holds no certificate.
    NoCertificate { option: String, path: PathBuf },
    /// A certificate the roots cannot take.
    BadCa {
        option: String,
        path: PathBuf,
        error: String,
    },
    /// The private key cannot be read.
    BadKey {
        option: String,
        path: PathBuf,
        error: String,
    },
    /// The certificate and the key do not go together.
    BadPair {
        cert_option: String,
        cert: PathBuf,
        key_option: String,
        key: PathBuf,
        error: String,
    },
    /// rustls refused the setup itself.
    Setup(String),
}

impl std::error::Error for TlsError {}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsError::Unreadable {
                option,
                path,
                error,
            } => write!(f, "cannot read {option}={}: {error}", path.display()),
            TlsError::BadPem {
                option,
                path,
                error,
            } => write!(f, "{option}={}: bad PEM: {error}", path.display()),
            TlsError::NoCertificate { option, path } => write!(
                f,
                "{option}={}: no certificate in the file (expected PEM, `-----BEGIN CERTIFICATE-----`)",
                path.display()
            ),
            TlsError::BadCa {
                option,
                path,
                error,
            } => write!(
                f,
                "{option}={}: not a usable CA certificate: {error}",
                path.display()
            ),
            TlsError::BadKey {
                option,
                path,
                error,
            } => write!(
                f,
                "cannot read a private key from {option}={}: {error}",
                path.display()
            ),
            TlsError::BadPair {
                cert_option,
                cert,
                key_option,
                key,
                error,
            } => write!(
                f,
                "{cert_option}={} and {key_option}={} do not make a client certificate: {error}",
                cert.display(),
                key.display()
            ),
            TlsError::Setup(e) => write!(f, "TLS setup failed: {e}"),
        }
    }
}

/// The ring provider: the one crypto backend of this build.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The trusted roots: the certificates in `path` (PEM, one or more), or the
/// Mozilla roots built into `migrate` when no file is given. `option` names
/// the URL option for messages (`sslrootcert=/path`).
pub fn load_roots(path: Option<&Path>, option: &str) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let Some(path) = path else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    };
    for cert in read_certs(path, option)? {
        roots.add(cert).map_err(|e| TlsError::BadCa {
            option: option.to_string(),
            path: path.to_path_buf(),
            error: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// Every certificate in a PEM file, with a message naming the option when there is none.
fn read_certs(path: &Path, option: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let data = std::fs::read(path).map_err(|error| TlsError::Unreadable {
        option: option.to_string(),
        path: path.to_path_buf(),
        error,
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&data)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::BadPem {
            option: option.to_string(),
            path: path.to_path_buf(),
            error: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            option: option.to_string(),
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// A client certificate and its key, for servers that ask for one.
pub struct ClientCert<'a> {
    pub cert: &'a Path,
    pub cert_option: &'a str,
    pub key: &'a Path,
    pub key_option: &'a str,
}

/// The rustls configuration for one connection.
pub fn client_config(
    verify: Verify,
    root_cert: Option<&Path>,
    root_option: &str,
    client: Option<&ClientCert<'_>>,
) -> Result<ClientConfig, TlsError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = match verify {
        Verify::Nothing => Arc::new(NoCheck(provider.clone())),
        Verify::Chain | Verify::Full => {
            let roots = load_roots(root_cert, root_option)?;
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::Setup(e.to_string()))?;
            if verify == Verify::Chain {
                Arc::new(ChainOnly(webpki))
            } else {
                webpki
            }
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match client {
        None => Ok(builder.with_no_client_auth()),
        Some(c) => {
            let chain = read_certs(c.cert, c.cert_option)?;
            let key = PrivateKeyDer::from_pem_file(c.key).map_err(|e| TlsError::BadKey {
                option: c.key_option.to_string(),
                path: c.key.to_path_buf(),
                error: e.to_string(),
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TlsError::BadPair {
                    cert_option: c.cert_option.to_string(),
                    cert: c.cert.to_path_buf(),
                    key_option: c.key_option.to_string(),
                    key: c.key.to_path_buf(),
                    error: e.to_string(),
                })
        }
    }
}

/// Checks nothing in the certificate (sslmode=prefer/require, ssl-mode=REQUIRED),
/// but still that the server holds the key of the certificate it sent.
#[derive(Debug)]
struct NoCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Checks the chain up to a trusted root but not the host name (verify-ca).
/// webpki checks the chain before the name, so a name error means the chain passed.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Where a TLS connection was going and how, for messages.
pub struct Target<'a> {
    pub kind: Kind,
    /// `host:port`.
    pub endpoint: &'a str,
    /// The host name the certificate is checked against.
    pub host: &'a str,
    /// The mode as the user would write it: `sslmode=verify-full`.
    pub mode: String,
    /// The CA file option as given (`sslrootcert=/path`), if any.
    pub roots: Option<String>,
    /// The client certificate option as given (`sslcert=/path`), if any.
    pub client_cert: Option<String>,
}

/// The option words of each database, for the ways out.
struct Words {
    chain_only: &'static str,
    no_check: &'static str,
    fall_back: &'static str,
    ca_option: &'static str,
    server_setup: &'static str,
    client_options: &'static str,
    server_client_ca: &'static str,
}

fn words(kind: Kind) -> Words {
    match kind {
        Kind::MySql => Words {
            chain_only: "ssl-mode=VERIFY_CA",
            no_check: "ssl-mode=REQUIRED",
            fall_back: "ssl-mode=PREFERRED",
            ca_option: "ssl-ca",
            server_setup: "ssl_cert and ssl_key in the server's configuration",
            client_options: "ssl-cert=PATH and ssl-key=PATH",
            server_client_ca: "ssl_ca",
        },
        Kind::Postgres | Kind::Sqlite => Words {
            chain_only: "sslmode=verify-ca",
            no_check: "sslmode=require",
            fall_back: "sslmode=prefer",
            ca_option: "sslrootcert",
            server_setup: "ssl = on, ssl_cert_file and ssl_key_file in postgresql.conf",
            client_options: "sslcert=PATH and sslkey=PATH",
            server_client_ca: "ssl_ca_file",
        },
    }
}

/// The message for a server that answered "no TLS" when TLS was required.
pub fn no_tls_message(t: &Target<'_>) -> String {
    let w = words(t.kind);
    format!(
        "the {} server at {} does not offer TLS ({}); turn TLS on in the server ({}), or use {} to fall back to an unencrypted connection",
        t.kind.name(),
        t.endpoint,
        t.mode,
        w.server_setup,
        w.fall_back
    )
}

/// The rustls error somewhere in `err`'s chain (also inside an `io::Error`,
/// whose `source()` skips the error it wraps).
fn find_rustls<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut cur: Option<&'a (dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                return Some(r);
            }
            if let Some(r) = find_rustls(inner) {
                return Some(r);
            }
        }
        cur = e.source();
    }
    None
}

/// A failed TLS handshake in words, when `err` holds one.
pub fn explain(err: &(dyn StdError + 'static), t: &Target<'_>) -> Option<String> {
    find_rustls(err).map(|e| describe(e, t))
}

/// One rustls error as a sentence naming the server, the mode and the way out.
pub fn describe(e: &rustls::Error, t: &Target<'_>) -> String {
    let w = words(t.kind);
    let server = format!("the {} server at {}", t.kind.name(), t.endpoint);
    match e {
        rustls::Error::InvalidCertificate(ce) => match ce {
            CertificateError::NotValidForName => format!(
                "the certificate of {server} does not match host name '{}' ({}); connect with a name the certificate lists, or use {} to check the chain but not the name",
                t.host, t.mode, w.chain_only
            ),
            CertificateError::NotValidForNameContext { presented, .. } => format!(
                "the certificate of {server} does not match host name '{}': it is for {} ({}); connect with a name the certificate lists, or use {} to check the chain but not the name",
                t.host,
                presented
                    .iter()
                    .map(|n| plain_name(n))
                    .collect::<Vec<_>>()
                    .join(", "),
                t.mode,
                w.chain_only
            ),
            CertificateError::UnknownIssuer
            | CertificateError::BadSignature
            | CertificateError::UnhandledCriticalExtension
            | CertificateError::InvalidPurpose
            | CertificateError::InvalidPurposeContext { .. } => {
                let by = match &t.roots {
                    Some(r) => format!("the CA in {r}"),
                    None => format!(
                        "a CA migrate trusts (no {} given: the built-in Mozilla roots were used)",
                        w.ca_option
                    ),
                };
                format!(
                    "the certificate of {server} is not signed by {by} ({}); give the CA that issued the server's certificate as {}=PATH, or use {} to encrypt without checking the certificate",
                    t.mode, w.ca_option, w.no_check
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => format!(
                "the certificate of {server} has expired ({}); renew the server's certificate, or use {} to encrypt without checking it",
                t.mode, w.no_check
            ),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => format!(
                "the certificate of {server} is not valid yet ({}); check the clocks of both machines",
                t.mode
            ),
            other => format!(
                "the certificate of {server} was rejected: {} ({}); fix the certificate, or use {} to encrypt without checking it",
                Shown(other),
                t.mode,
                w.no_check
            ),
        },
        rustls::Error::AlertReceived(alert) => {
            use rustls::AlertDescription as A;
            let about_client_cert = matches!(
                alert,
                A::BadCertificate
                    | A::UnknownCA
                    | A::CertificateRequired
                    | A::CertificateUnknown
                    | A::UnsupportedCertificate
                    | A::CertificateExpired
                    | A::CertificateRevoked
                    | A::DecryptError
            );
            match &t.client_cert {
                Some(c) if about_client_cert => format!(
                    "{server} rejected the client certificate {c} (TLS alert `{alert:?}`, {}); give a certificate signed by a CA in the server's {}",
                    t.mode, w.server_client_ca
                ),
                None if about_client_cert => format!(
                    "{server} asks for a client certificate (TLS alert `{alert:?}`, {}); give one with {}",
                    t.mode, w.client_options
                ),
                _ => format!(
                    "{server} ended the TLS handshake with `{alert:?}` ({})",
                    t.mode
                ),
            }
        }
        other => format!("TLS with {server} failed ({}): {other}", t.mode),
    }
}

/// `DnsName("localhost")` (how rustls lists a certificate's names) as `localhost`.
fn plain_name(n: &str) -> &str {
    match (n.find('('), n.rfind(')')) {
        (Some(open), Some(close)) if open < close => n[open + 1..close].trim_matches('"'),
        _ => n,
    }
}

/// A certificate error in rustls's words.
struct Shown<'a>(&'a CertificateError);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = rustls::Error::InvalidCertificate(self.0.clone()).to_string();
        f.write_str(
            text.strip_prefix("invalid peer certificate: ")
                .unwrap_or(&text),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_as_libpq_and_mysql_spell_them() {
        for m in PgSslMode::WORDS.split(", ") {
            assert_eq!(PgSslMode::parse(m).map(PgSslMode::as_str), Some(m));
        }
        assert_eq!(PgSslMode::parse("REQUIRE"), None);
        for m in MySslMode::WORDS.split(", ") {
            assert_eq!(MySslMode::parse(m).map(MySslMode::as_str), Some(m));
        }
        assert_eq!(MySslMode::parse("verify-ca"), Some(MySslMode::VerifyCa));
        assert_eq!(MySslMode::parse("required"), Some(MySslMode::Required));
        assert_eq!(MySslMode::parse("sometimes"), None);
    }

    #[test]
    fn require_with_a_root_cert_verifies_the_chain_as_libpq_does() {
        assert_eq!(PgSslMode::Require.verify(false), Verify::Nothing);
        assert_eq!(PgSslMode::Require.verify(true), Verify::Chain);
        assert_eq!(PgSslMode::Prefer.verify(true), Verify::Nothing);
        assert_eq!(PgSslMode::VerifyCa.verify(false), Verify::Chain);
        assert_eq!(PgSslMode::VerifyFull.verify(true), Verify::Full);
        assert_eq!(MySslMode::Required.verify(), Verify::Nothing);
        assert_eq!(MySslMode::VerifyIdentity.verify(), Verify::Full);
    }

    #[test]
    fn unreadable_or_empty_root_files_name_the_option() {
        let dir = std::env::temp_dir().join(format!("migrate-tls-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = load_roots(Some(&empty), "sslrootcert").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "sslrootcert={}: no certificate in the file (expected PEM, `-----BEGIN CERTIFICATE-----`)",
                empty.display()
            )
        );
        let missing = dir.join("missing.pem");
        let e = client_config(Verify::Full, Some(&missing), "ssl-ca", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "cannot read ssl-ca={}: No such file or directory (os error 2)",
                missing.display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert!(client_config(Verify::Chain, None, "sslrootcert", None).is_ok());
    }

    #[test]
    fn handshake_errors_name_server_mode_and_way_out() {
        let t = Target {
            kind: Kind::Postgres,
            endpoint: "127.0.0.1:5432",
            host: "127.0.0.1",
            mode: "sslmode=verify-full".into(),
            roots: Some("sslrootcert=/ca.pem".into()),
            client_cert: None,
        };
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
        );
        let msg = explain(&io, &t).unwrap();
        assert!(
            msg.contains("does not match host name '127.0.0.1'"),
            "{msg}"
        );
        assert!(
            msg.contains("(sslmode=verify-full)") && msg.contains("sslmode=verify-ca"),
            "{msg}"
        );
        let msg = describe(
            &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
            &t,
        );
        assert!(
            msg.contains("not signed by the CA in sslrootcert=/ca.pem"),
            "{msg}"
        );
        let my = Target {
            kind: Kind::MySql,
            mode: "ssl-mode=REQUIRED".into(),
            roots: None,
            ..t
        };
        let msg = no_tls_message(&my);
        assert!(
            msg.contains("MySQL server at 127.0.0.1:5432 does not offer TLS (ssl-mode=REQUIRED)"),
            "{msg}"
        );
        assert!(msg.contains("ssl-mode=PREFERRED"), "{msg}");
        assert!(explain(&io::Error::other("refused"), &my).is_none());
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA);
        let msg = describe(&alert, &my);
        assert!(
            msg.contains("asks for a client certificate") && msg.contains("ssl-cert=PATH"),
            "{msg}"
        );
        let with = Target {
            client_cert: Some("ssl-cert=/c.pem".into()),
            ..my
        };
        let msg = describe(&alert, &with);
        assert!(
            msg.contains("rejected the client certificate ssl-cert=/c.pem"),
            "{msg}"
        );
        assert_eq!(plain_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(plain_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(plain_name("db.example"), "db.example");
    }
}
