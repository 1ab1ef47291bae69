//! Link settings for the `migrate` binary.
//!
//! On Linux with glibc, the binary's relative relocations are packed
//! (`DT_RELR`): the table the loader walks at start-up shrinks from hundreds
//! of kilobytes to a few, which is memory every run would otherwise page in
//! (peak RSS of an `upgrade`, see README "Performance"). It needs GNU ld 2.38
//! or lld 15 to link and glibc 2.36 to run; older linkers ignore the option
//! with a warning.
//!
//! Release builds on x86_64 Linux with glibc also place the functions that
//! migrate's common commands run side by side, in the order listed in
//! `link/hot-symbols.txt` (written by `bench/hot-symbols` from a profile). The
//! kernel maps a binary's code in 64 KB windows around each page that runs, so
//! code spread over the whole binary costs its whole size in RSS: 3.6 MB of an
//! `upgrade` of 1,000 revisions on SQLite, against 1.2 MB when the functions
//! that run sit together. Only lld understands the list: it is passed where
//! rustc links with its bundled lld, which it does by default on that target
//! from Rust 1.90, and never when a linker is configured. A name the list holds
//! but the build lacks (after a dependency update) is skipped; the binary is
//! the same, its layout less compact. `MIGRATE_LINK_MAP=<file>` has the
//! linker write its map there, for `bench/hot-symbols`.

use std::env::var;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/hot-symbols.txt");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    println!("cargo:rerun-if-env-changed=MIGRATE_LINK_MAP");
    let os = var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        // bench/hot-symbols reads where each function landed from a link map.
        if let Ok(map) = var("MIGRATE_LINK_MAP") {
            println!("cargo:rustc-link-arg-bins=-Wl,-Map={map}");
        }
        if var("PROFILE").as_deref() == Ok("release") && links_with_bundled_lld() {
            let list = std::path::Path::new(&var("CARGO_MANIFEST_DIR").unwrap_or_default())
                .join("link")
                .join("hot-symbols.txt");
            if list.is_file() {
                println!(
                    "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
                    list.display()
                );
                println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
            }
        }
    }
}

/// True where rustc links with its own lld: x86_64 Linux with glibc, Rust 1.90
/// or later, and no linker or linker flavour chosen in the configuration or in
/// `RUSTFLAGS`.
fn links_with_bundled_lld() -> bool {
    if var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("x86_64") || var("RUSTC_LINKER").is_ok() {
        return false;
    }
    let flags = var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if flags.contains("linker") || flags.contains("link-self-contained") {
        return false;
    }
    let rustc = var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = std::process::Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let minor = text
        .lines()
        .find_map(|l| l.strip_prefix("release: 1."))
        .and_then(|rest| rest.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    matches!(minor, Some(m) if m >= 90)
}
