//! Link options of the `tokenworth` binary.

fn main() {
    // The binary's ~44,000 relative relocations (tables of pointers: clap's, the price table's,
    // every vtable) in the compact RELR form: the dynamic loader applies them at every start,
    // and a warm report is a few milliseconds in all (issue 12). GNU ld and lld since 2022
    // (binutils 2.38) take the option; glibc 2.36 runs the result.
    let target = |k: &str| std::env::var(k).unwrap_or_default();
    if target("CARGO_CFG_TARGET_OS") == "linux" && target("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
