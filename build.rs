//! Link settings for the `migrate` binary.
//!
//! On Linux with glibc, the binary's relative relocations are packed
//! (`DT_RELR`): the table the loader walks at start-up shrinks from hundreds
//! of kilobytes to a few, which is memory every run would otherwise page in
//! (peak RSS of an `upgrade`, see README "Performance"). It needs GNU ld 2.38
//! or lld 15 to link and glibc 2.36 to run; older linkers ignore the option
//! with a warning.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
