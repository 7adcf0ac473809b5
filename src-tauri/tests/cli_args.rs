//! The built `tokenworth-app` binary's command line, before any window: what a user, a start-at-
//! login entry or a package script sees when it runs the app with arguments, or without a display.
//! (The app itself is tested end to end in tests/e2e; this also makes `cargo test` build the
//! binary those steps run.)

use std::process::{Command, Output};

fn app(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tokenworth-app"))
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("TOKENWORTH_DATA_DIR", std::env::temp_dir().join("tokenworth-app-args-test-unused"))
        .output()
        .expect("run tokenworth-app")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn version_and_help_print_and_exit_zero_without_a_display() {
    let v = app(&["--version"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stderr));
    assert_eq!(text(&v.stdout).trim(), format!("tokenworth-app {}", env!("CARGO_PKG_VERSION")));

    let h = app(&["--help"]);
    assert_eq!(h.status.code(), Some(0), "{}", text(&h.stderr));
    let out = text(&h.stdout);
    assert!(out.starts_with("Usage: tokenworth-app"), "{out}");
    assert!(out.contains("--data-dir DIR") && out.contains("--hidden"), "{out}");
}

#[test]
fn a_wrong_argument_is_refused_with_the_usage_and_exit_2() {
    let o = app(&["--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("unknown argument '--frobnicate'") && err.contains("Usage:"), "{err}");

    let o = app(&["--data-dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--data-dir needs a directory"));
}

#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn no_display_is_a_clear_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_tokenworth-app"))
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("no display") && err.contains("tokenworth CLI"), "{err}");
    // Refused before touching the data dir: nothing was created in it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
