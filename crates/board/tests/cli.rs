//! The `tokenworth-board` binary's contracts: init, serve (plain and TLS), admin and backup, on
//! SQLite and (init, admin) on PostgreSQL.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_tokenworth-board");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env_remove("TOKENWORTH_BOARD_DATA").output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn refused(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8(o.stderr).unwrap()
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(args: &[&str]) -> Server {
    Server(
        Command::new(BIN)
            .arg("serve")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    )
}

async fn wait_up(http: &reqwest::Client, url: &str) {
    let start = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{url}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the server at {url} did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn is_secret(s: &str, prefix: &str) -> bool {
    s.len() == prefix.len() + 64
        && s.starts_with(prefix)
        && s[prefix.len()..].bytes().all(|c| c.is_ascii_hexdigit())
}

/// The admin commands on a store given by `store` (`--data DIR` or `--database-url URL`).
fn admin_contracts(store: &[&str]) {
    let with = |args: &[&str]| -> Vec<String> { args.iter().chain(store).map(|s| s.to_string()).collect() };
    let ok_ = |args: &[&str]| ok(&with(args).iter().map(String::as_str).collect::<Vec<_>>());
    let refused_ = |args: &[&str]| refused(&with(args).iter().map(String::as_str).collect::<Vec<_>>());

    let v = json_of(&ok_(&["init", "--json"]));
    assert!(is_secret(v["admin_token"].as_str().unwrap(), "twa_"), "{v}");
    assert!(refused_(&["init"]).contains("initialised already"));

    // --data / --database-url anywhere after the subcommand.
    let mut args = vec!["admin"];
    args.extend(store);
    args.extend(["team", "create", "demo", "--json"]);
    assert_eq!(json_of(&ok(&args)), json!({"team": "demo", "min_group": 5, "window_days": 90}));
    let v = json_of(&ok_(&[
        "admin",
        "team",
        "create",
        "small",
        "--min-group",
        "3",
        "--window-days",
        "30",
        "--json",
    ]));
    assert_eq!(v, json!({"team": "small", "min_group": 3, "window_days": 30}));
    assert!(refused_(&["admin", "team", "create", "tiny", "--min-group", "2"]).contains("never below 3"));
    assert!(refused_(&["admin", "team", "create", "demo"]).contains("exists"));
    assert!(refused_(&["admin", "team", "create", "<b>x'--"]).contains("team name"));
    assert!(ok_(&["admin", "team", "set", "demo", "--min-group", "6"]).contains("minimum group 6"));
    assert!(refused_(&["admin", "team", "set", "nope", "--min-group", "6"]).contains("no team"));

    let v = json_of(&ok_(&["admin", "invite", "demo", "--expires", "48h", "--json"]));
    assert!(is_secret(v["invite"].as_str().unwrap(), "twi_"), "{v}");
    assert!(refused_(&["admin", "invite", "demo", "--expires", "soon"]).contains("duration"));
    assert!(refused_(&["admin", "invite", "nope"]).contains("no team"));
    assert!(ok_(&["admin", "members", "demo"]).contains("alias"));
    assert_eq!(json_of(&ok_(&["admin", "members", "demo", "--json"])), json!([]));
    assert_eq!(json_of(&ok_(&["admin", "review", "demo", "--json"])), json!([]));
    let link = ok_(&["admin", "link", "demo", "--url", "https://board.example.org/"]);
    assert!(link.trim().starts_with("https://board.example.org/signin/tws_"), "{link}");
}

#[test]
fn admin_contracts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("board");
    admin_contracts(&["--data", d.to_str().unwrap()]);
    assert!(refused(&["admin", "members", "demo"]).contains("--data"));
    assert!(refused(&["admin", "members", "demo", "--data", dir.path().join("none").to_str().unwrap()])
        .contains("init"));
}

#[test]
fn admin_contracts_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = rt.block_on(common::fresh_pg()) else { return };
    admin_contracts(&["--database-url", &url]);
    assert!(refused(&["backup", "--database-url", &url, "--output", "/tmp/x.sqlite"]).contains("pg_dump"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_join_remove_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("board");
    let d = data.to_str().unwrap();
    ok(&["init", "--data", d]);
    ok(&["admin", "team", "create", "demo", "--data", d]);
    let inv = json_of(&ok(&["admin", "invite", "demo", "--data", d, "--json"]))["invite"]
        .as_str()
        .unwrap()
        .to_string();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let _server = serve(&["--data", d, "--listen", &format!("127.0.0.1:{port}")]);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    wait_up(&http, &url).await;

    let r = http
        .post(format!("{url}/api/v1/join"))
        .json(&json!({"invite": inv, "alias": "ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let m: Value = r.json().await.unwrap();
    let token = m["token"].as_str().unwrap();
    assert!(is_secret(token, "twm_"));
    let today = common::date(common::now_secs().div_euclid(86_400));
    let r = http
        .put(format!("{url}/api/v1/days"))
        .bearer_auth(token)
        .json(&json!({"days": [common::day(&today, 2.5, Some("codex"), None, None)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let members = json_of(&ok(&["admin", "members", "demo", "--data", d, "--json"]));
    assert_eq!(members[0]["alias"], "ann");
    assert_eq!(members[0]["days"], 1);

    // The admin's link works once against the running server.
    let link = ok(&["admin", "link", "demo", "--data", d, "--url", &url]);
    let r = http.get(link.trim()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"));
    assert_eq!(http.get(link.trim()).send().await.unwrap().status().as_u16(), 410);

    // A backup is a consistent, complete SQLite file; an existing file is not overwritten.
    let out = dir.path().join("copy.sqlite");
    ok(&["backup", "--data", d, "--output", out.to_str().unwrap()]);
    let c = rusqlite::Connection::open(&out).unwrap();
    let n: i64 = c.query_row("SELECT COUNT(*) FROM days", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    let alias: String = c.query_row("SELECT alias FROM members", [], |r| r.get(0)).unwrap();
    assert_eq!(alias, "ann");
    assert!(refused(&["backup", "--data", d, "--output", out.to_str().unwrap()]).contains("exists"));

    // Removing the member: their token answers 401.
    assert!(ok(&["admin", "remove", "demo", "ann", "--data", d]).contains("removed"));
    let r = http.get(format!("{url}/api/v1/me")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

fn write_cert(dir: &Path) -> (String, String, String) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (cert.to_str().unwrap().into(), key.to_str().unwrap().into(), ck.cert.pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_speaks_tls_with_a_cert_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("board");
    let d = data.to_str().unwrap();
    ok(&["init", "--data", d]);
    ok(&["admin", "team", "create", "demo", "--data", d]);
    let (cert, key, pem) = write_cert(dir.path());
    assert!(refused(&["serve", "--data", d, "--tls-cert", &cert]).contains("--tls-key"));
    let port = free_port();
    let _server = serve(&[
        "--data",
        d,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ]);
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}");
    wait_up(&http, &url).await;
    let link = ok(&["admin", "link", "demo", "--data", d, "--url", &url]);
    let r = http.get(link.trim()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
    // Plain HTTP on the TLS port gets no board.
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/healthz")).send().await;
    assert!(plain.map_or(true, |r| !r.status().is_success()));
}
