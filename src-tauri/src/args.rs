//! Command-line arguments of `tokenworth-app`: the CLI's `--data-dir` / `TOKENWORTH_DATA_DIR`,
//! and `--hidden` (start in the tray without opening the window; used by start at login).

use std::path::PathBuf;

use tokenworth_core::Env;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub data_dir: Option<PathBuf>,
    pub hidden: bool,
    pub help: bool,
    pub version: bool,
}

pub const USAGE: &str = "\
Usage: tokenworth-app [--data-dir DIR] [--hidden]

  --data-dir DIR  where the ledger and config.toml live (also TOKENWORTH_DATA_DIR;
                  default: the same as the tokenworth CLI)
  --hidden        start in the tray without opening the dashboard
  --help, --version";

/// Parses the arguments after the program name. Unknown arguments are an error, except the
/// ones a desktop session or WebDriver may add (`-psn_…` on macOS).
pub fn parse(args: impl IntoIterator<Item = String>, env: &Env) -> Result<Args, String> {
    let mut out = Args::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--data-dir" => {
                let v = it.next().ok_or("--data-dir needs a directory")?;
                out.data_dir = Some(PathBuf::from(v));
            }
            "--hidden" | "--minimized" => out.hidden = true,
            "--help" | "-h" => out.help = true,
            "--version" | "-V" => out.version = true,
            s if s.starts_with("--data-dir=") => {
                out.data_dir = Some(PathBuf::from(&s["--data-dir=".len()..]));
            }
            s if s.starts_with("-psn_") => {}
            s => return Err(format!("unknown argument '{s}'\n\n{USAGE}")),
        }
    }
    if out.data_dir.as_ref().is_some_and(|d| d.as_os_str().is_empty()) {
        return Err("--data-dir needs a directory".into());
    }
    if out.data_dir.is_none() {
        out.data_dir = env.var("TOKENWORTH_DATA_DIR").filter(|v| !v.is_empty()).map(PathBuf::from);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str], env: &Env) -> Result<Args, String> {
        parse(a.iter().map(|s| s.to_string()), env)
    }

    #[test]
    fn data_dir_from_flag_or_env() {
        let env = Env::with_home("/h").set("TOKENWORTH_DATA_DIR", "/from-env");
        assert_eq!(p(&[], &env).unwrap().data_dir, Some(PathBuf::from("/from-env")));
        assert_eq!(p(&["--data-dir", "/x"], &env).unwrap().data_dir, Some(PathBuf::from("/x")));
        assert_eq!(
            p(&["--data-dir=/y", "--hidden"], &env).unwrap(),
            Args { data_dir: Some("/y".into()), hidden: true, ..Args::default() }
        );
        assert_eq!(p(&[], &Env::with_home("/h")).unwrap().data_dir, None);
    }

    #[test]
    fn c_locale_gets_a_real_language_for_the_webview() {
        use crate::webview_locale_fix as f;
        let e = |pairs: &[(&str, &str)]| pairs.iter().fold(Env::with_home("/h"), |e, (k, v)| e.set(k, *v));
        let fix = Some(("LC_CTYPE", "en_US.UTF-8"));
        assert_eq!(f(&e(&[])), fix);
        assert_eq!(f(&e(&[("LANG", "C.UTF-8")])), fix);
        assert_eq!(f(&e(&[("LANG", "POSIX")])), fix);
        assert_eq!(f(&e(&[("LC_ALL", "C.UTF-8"), ("LANG", "de_DE.UTF-8")])), Some(("LC_ALL", "en_US.UTF-8")));
        assert_eq!(f(&e(&[("LANG", "de_DE.UTF-8")])), None);
        assert_eq!(f(&e(&[("LC_CTYPE", "fr_FR.UTF-8"), ("LANG", "C")])), None);
    }

    #[test]
    fn gl_stays_off_in_the_tray_unless_asked_for() {
        use crate::tray_gl_fix as f;
        let e = |pairs: &[(&str, &str)]| pairs.iter().fold(Env::with_home("/h"), |e, (k, v)| e.set(k, *v));
        assert_eq!(f(&e(&[]), true), Some(("GDK_GL", "disable")));
        assert_eq!(f(&e(&[]), false), None, "started to show the dashboard: GTK's default");
        assert_eq!(f(&e(&[("TOKENWORTH_GL", "0")]), true), Some(("GDK_GL", "disable")));
        assert_eq!(f(&e(&[("TOKENWORTH_GL", "1")]), true), None);
        assert_eq!(f(&e(&[("GDK_GL", "always")]), true), None);
    }

    #[test]
    fn bad_arguments_are_errors() {
        let env = Env::with_home("/h");
        assert!(p(&["--data-dir"], &env).unwrap_err().contains("needs a directory"));
        assert!(p(&["--data-dir="], &env).is_err());
        assert!(p(&["--frobnicate"], &env).unwrap_err().contains("unknown argument"));
    }
}
