//! `tokenworth share …` through the real binary against the real board server
//! (`tokenworth_board::router`) on loopback, started in this process on a SQLite board in a temp
//! dir. A middleware layer records every request body the board received, so the preview can be
//! compared with them byte for byte. Bad input: unreachable, non-board, plain-http, used codes,
//! a revoked token, a board answering 5xx or garbage, a refusing keyring. And the no-socket trace:
//! with sharing off, no command opens an AF_INET/AF_INET6 socket (strace -f).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::Value;
use tokenworth_board::{store, State};

const MODEL: &str = "tw-share-model";
const DAY_MS: i64 = 86_400_000;

/// What the board received: (method, path and query, authorization present, content type, body).
type Seen = Arc<Mutex<Vec<(String, String, bool, String, String)>>>;

struct Board {
    rt: tokio::runtime::Runtime,
    state: Arc<State>,
    url: String,
    seen: Seen,
    _dir: tempfile::TempDir,
}

impl Board {
    fn start() -> Board {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let seen: Seen = Arc::default();
        let (state, url) = rt.block_on(async {
            let db = tokenworth_board::db::Db::open_sqlite(dir.path(), true).unwrap();
            let state = Arc::new(State::new(db, tokenworth_board::system_clock()));
            store::init(&state.db, state.now()).await.unwrap();
            store::create_team(&state.db, "demo", Some(3), None, state.now()).await.unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let rec = seen.clone();
            let app = tokenworth_board::router(state.clone()).layer(axum::middleware::from_fn(
                move |req: axum::extract::Request, next: axum::middleware::Next| {
                    let rec = rec.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let bytes = axum::body::to_bytes(body, 1 << 21).await.unwrap_or_default();
                        let ct = parts
                            .headers
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        rec.lock().unwrap().push((
                            parts.method.to_string(),
                            parts.uri.to_string(),
                            parts.headers.contains_key("authorization"),
                            ct,
                            String::from_utf8_lossy(&bytes).into_owned(),
                        ));
                        next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)))
                            .await
                    }
                },
            ));
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            (state, url)
        });
        Board { rt, state, url, seen, _dir: dir }
    }

    fn invite(&self) -> String {
        self.rt.block_on(store::invite(&self.state.db, "demo", 3600, self.state.now())).unwrap()
    }

    fn members(&self) -> Vec<store::MemberRow> {
        self.rt.block_on(store::members(&self.state.db, "demo")).unwrap()
    }

    fn remove(&self, member: &str) {
        self.rt
            .block_on(store::remove(&self.state.db, &self.state.memory, "demo", member, self.state.now()))
            .unwrap();
    }

    fn puts(&self) -> Vec<String> {
        self.seen.lock().unwrap().iter().filter(|r| r.0 == "PUT").map(|r| r.4.clone()).collect()
    }

    /// The member's own figures for the month holding `day`, through the API.
    fn me(&self, token: &str, day: &str) -> Value {
        let url = format!("{}/api/v1/teams/demo/board?period=month&date={day}", self.url);
        let body = ureq_get(&url, token);
        serde_json::from_str::<Value>(&body).unwrap()["me"].clone()
    }
}

fn ureq_get(url: &str, token: &str) -> String {
    // A plain HTTP/1.1 GET over a TcpStream: the test needs no HTTP client of its own.
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        // one chunk is enough for these small answers
        let (_, rest) = body.split_once("\r\n").unwrap();
        return rest.rsplit_once("\r\n0\r\n").map_or(rest, |(b, _)| b).to_string();
    }
    body.to_string()
}

/// A tiny server that answers every request with `status` and `body` (a non-board address).
fn fake(rt: &tokio::runtime::Runtime, status: u16, body: &'static str) -> String {
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(move || async move {
            (axum::http::StatusCode::from_u16(status).unwrap(), [("content-type", "text/html")], body)
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    })
}

struct Machine {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    data: PathBuf,
    project: PathBuf,
}

fn line(session: &str, cwd: &Path, msg: &str, at: i64, input: u64, output: u64) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"{session}","cwd":"{}","gitBranch":"secret-branch","requestId":"r-{msg}","timestamp":"{}","message":{{"id":"{msg}","model":"{MODEL}","usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#,
        cwd.display(),
        ts(at)
    ) + "\n"
}

/// Midnight UTC of the day `n` days ago, plus 10 hours.
fn days_ago(n: i64) -> i64 {
    let now = chrono::Utc::now().timestamp_millis();
    now.div_euclid(DAY_MS) * DAY_MS - n * DAY_MS + 10 * 3_600_000
}

/// Two days of usage at $1/M input, $10/M output, in project `secretproj`: session `sess-aaaa`
/// 3 days ago ($1 + $1), `sess-bbbb` 2 days ago ($0.50), and `sess-cccc` 2 days ago ($7) in
/// `hiddenproj`.
fn machine(tag: &str) -> Machine {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let home = root.join("home");
    let data = root.join("data");
    let project = root.join("secretproj");
    let hidden = root.join("hiddenproj");
    std::fs::create_dir_all(&project).unwrap();
    let dir = home.join(".claude/projects/-p");
    let (a, b) = (days_ago(3), days_ago(2));
    write(
        &dir.join(format!("sess-aaaa{tag}.jsonl")),
        (line(&format!("sess-aaaa{tag}"), &project, &format!("m1{tag}"), a, 1_000_000, 0)
            + &line(&format!("sess-aaaa{tag}"), &project, &format!("m2{tag}"), a + 60_000, 0, 100_000))
            .as_bytes(),
    );
    write(
        &dir.join(format!("sess-bbbb{tag}.jsonl")),
        line(&format!("sess-bbbb{tag}"), &project, &format!("m3{tag}"), b, 500_000, 0).as_bytes(),
    );
    write(
        &dir.join(format!("sess-cccc{tag}.jsonl")),
        line(&format!("sess-cccc{tag}"), &hidden, &format!("m4{tag}"), b, 7_000_000, 0).as_bytes(),
    );
    write(
        &data.join("config.toml"),
        format!("[pricing.models.\"{MODEL}\"]\ninput = 1.0\noutput = 10.0\n").as_bytes(),
    );
    Machine { _tmp: tmp, home, data, project }
}

fn tw(m: &Machine, args: &[&str]) -> Output {
    cmd(&m.home, &m.data, args)
        .env("TOKENWORTH_KEYRING", "off")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env_remove("BROWSER")
        .output()
        .expect("run tokenworth")
}

fn ok(m: &Machine, args: &[&str]) -> String {
    let o = tw(m, args);
    let err = stderr_of(&o);
    assert!(o.status.success(), "tokenworth {args:?} failed ({:?}):\n{err}", o.status.code());
    assert!(!err.contains("panicked"), "{err}");
    String::from_utf8(o.stdout).unwrap()
}

fn json(m: &Machine, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(m, &a)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Fails with exit `code`, stderr holding every needle, nothing on stdout, no panic.
fn fails(m: &Machine, args: &[&str], code: i32, needles: &[&str]) -> String {
    let o = tw(m, args);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks {n:?}:\n{err}");
    }
    assert!(o.stdout.is_empty(), "{args:?} printed {}", String::from_utf8_lossy(&o.stdout));
    err
}

fn token(m: &Machine) -> String {
    std::fs::read_to_string(m.data.join("sharing-token")).unwrap().trim().to_string()
}

fn not_joined(m: &Machine) {
    assert!(!m.data.join("sharing.json").exists(), "settings stored half-way");
    assert!(!m.data.join("sharing-token").exists(), "token stored half-way");
    assert_eq!(json(m, &["share", "status"]), serde_json::json!({"sharing": false}));
}

fn date(ms: i64) -> String {
    date_of(ms)
}

#[test]
fn join_fields_preview_send_retag_second_device_withdraw_leave() {
    let b = Board::start();
    let m = machine("");
    not_joined(&m);
    let daily_before = json(&m, &["daily"]);

    let j = json(&m, &["share", "join", &b.url, &b.invite(), "--name", "Ann B."]);
    assert_eq!(
        (j["team"].as_str(), j["alias"].as_str(), j["token_store"].as_str()),
        (Some("demo"), Some("Ann B."), Some("file"))
    );
    let member = j["member_id"].as_str().unwrap().to_string();
    let tok = token(&m);
    assert!(tok.starts_with("twm_"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(m.data.join("sharing-token")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The token is nowhere else in the data dir.
    for f in ["sharing.json", "config.toml"] {
        assert!(!std::fs::read_to_string(m.data.join(f)).unwrap().contains(&tok), "{f} holds the token");
    }
    let st = json(&m, &["share", "status"]);
    assert_eq!(st["sharing"], true);
    assert_eq!(
        st["shared"],
        serde_json::json!({"totals": true, "outcomes": true, "tools": false, "models": false, "commits": false})
    );
    assert_eq!(st["queued_days"], 2);

    // Choose fields: tools and models on, one project out entirely.
    let f =
        json(&m, &["share", "fields", "--tools", "on", "--models", "on", "--exclude-project", "hiddenproj"]);
    assert_eq!(f["shared"]["tools"], true);
    assert_eq!(f["excluded_projects"], serde_json::json!(["hiddenproj"]));

    let preview = ok(&m, &["share", "preview"]);
    let lines: Vec<&str> = preview.lines().collect();
    assert_eq!(lines.len(), 1, "{preview}");
    for secret in ["secretproj", "hiddenproj", "sess-", "secret-branch", m.project.to_str().unwrap(), "twm_"]
    {
        assert!(!preview.contains(secret), "the payload holds {secret:?}: {preview}");
    }
    let body: Value = serde_json::from_str(lines[0]).unwrap();
    let days = body["days"].as_array().unwrap();
    assert_eq!(days.len(), 2, "the hidden project's day is gone: {body:#}");
    assert_eq!(days[0]["day"], date(days_ago(3)));
    assert_eq!(days[0]["totals"]["cost_usd"], 2.0);
    assert_eq!(days[1]["totals"]["cost_usd"], 0.5, "hiddenproj's $7 is not sent");
    assert_eq!(days[0]["tools"][0]["name"], "claude-code");
    assert_eq!(days[0]["models"][0]["name"], MODEL);
    assert_eq!(
        days[0]["outcomes"],
        serde_json::json!([{"outcome": "untagged", "sessions": 1, "cost_usd": 2.0}])
    );

    let sent = json(&m, &["share", "send"]);
    assert_eq!(sent, serde_json::json!({"sent": 2, "unchanged": 0}));
    assert_eq!(b.puts(), vec![lines[0].to_string()], "preview = the bytes the board received");
    {
        let seen = b.seen.lock().unwrap();
        let put = seen.iter().find(|r| r.0 == "PUT").unwrap();
        assert!(put.2, "Authorization sent");
        assert_eq!(put.3, "application/json");
        assert!(seen.iter().all(|r| !r.1.contains("twm_")), "a token in a URL");
    }
    let me = b.me(&tok, &date(days_ago(3)));
    assert_eq!(me["cost_usd"], 2.5);
    assert_eq!(me["shipped_sessions"], 0);

    // Unchanged: nothing sent again.
    assert_eq!(json(&m, &["share", "send"]), serde_json::json!({"sent": 0, "unchanged": 2}));
    assert_eq!(b.puts().len(), 1);
    assert!(ok(&m, &["share", "preview"]).is_empty());

    // A tag changes one day: only it is sent, it replaces the old one, nothing doubles.
    ok(&m, &["tag", "sess-aaaa", "shipped", "--note", "private note", "--link", "https://example.org/pr/1"]);
    let preview = ok(&m, &["share", "preview"]);
    assert_eq!(preview.lines().count(), 1);
    assert!(!preview.contains("private note") && !preview.contains("example.org"));
    assert_eq!(json(&m, &["share", "send"]), serde_json::json!({"sent": 1, "unchanged": 1}));
    assert_eq!(b.puts().last().unwrap(), preview.trim_end());
    let me = b.me(&tok, &date(days_ago(3)));
    assert_eq!(me["cost_usd"], 2.5, "the resend replaced the day");
    assert_eq!(me["shipped_sessions"], 1);
    let row = b.members().into_iter().find(|r| r.member_id == member).unwrap();
    assert_eq!((row.days, row.devices), (2, 1));

    // The audit log holds every body sent, exactly.
    let log: Vec<Value> =
        ok(&m, &["share", "log", "--json"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let logged: Vec<String> = log.iter().map(|e| e["payload"].as_str().unwrap().to_string()).collect();
    assert_eq!(logged, b.puts());
    assert!(log.iter().all(|e| e["status"] == 200 && e["board"] == b.url.as_str()));
    assert!(!std::fs::read_to_string(m.data.join("sharing-log.jsonl")).unwrap().contains(&tok));

    // A second machine of the same member, joined with a device code.
    let code = json(&m, &["share", "add-device"]);
    let code = code["code"].as_str().unwrap().to_string();
    let m2 = machine("-two");
    let j2 = json(&m2, &["share", "join", &b.url, &code]);
    assert_eq!(j2["member_id"], member.as_str());
    assert_ne!(j2["device_id"], j["device_id"]);
    assert_eq!(j2["alias"], "Ann B.");
    assert_eq!(json(&m2, &["share", "send"]), serde_json::json!({"sent": 2, "unchanged": 0}));
    let row = b.members().into_iter().find(|r| r.member_id == member).unwrap();
    assert_eq!((row.days, row.devices), (4, 2));
    // The used code is refused, and nothing is stored.
    let m3 = machine("-three");
    fails(&m3, &["share", "join", &b.url, &code], 1, &["HTTP 410"]);
    not_joined(&m3);

    // Withdraw a range (both devices' rows of that day), then everything; membership stays.
    let d3 = date(days_ago(3));
    assert_eq!(
        json(&m, &["share", "withdraw", "--since", &d3, "--until", &d3]),
        serde_json::json!({"deleted": 2})
    );
    let row = b.members().into_iter().find(|r| r.member_id == member).unwrap();
    assert_eq!(row.days, 2);
    assert_eq!(json(&m, &["share", "status"])["queued_days"], 1, "the withdrawn day counts as not sent");
    assert_eq!(json(&m, &["share", "withdraw"]), serde_json::json!({"deleted": 2}));
    let row = b.members().into_iter().find(|r| r.member_id == member).unwrap();
    assert_eq!((row.days, row.devices), (0, 2));

    // Leave: the board holds nothing of this member; this machine forgets it.
    assert_eq!(json(&m, &["share", "leave"]), serde_json::json!({"deleted": 0}));
    assert!(b.members().iter().all(|r| r.member_id != member), "the board still holds the member");
    not_joined(&m);
    // The other device's token is revoked with the membership: a clear message.
    fails(&m2, &["share", "send"], 1, &["HTTP 401", "revoked"]);

    // The local ledger is untouched (tags aside, which are local).
    assert_eq!(json(&m, &["daily", "--no-scan"]), daily_before);
}

#[test]
fn bad_input_is_refused_clearly_and_stores_nothing() {
    let b = Board::start();
    let m = machine("");
    let daily = json(&m, &["daily"]);

    // Plain http to a remote address: refused before any connection.
    fails(&m, &["share", "join", "http://board.example.org", "twi_x"], 2, &["refusing plain http://"]);
    not_joined(&m);
    fails(&m, &["share", "join", "ftp://127.0.0.1", "twi_x"], 2, &["not https"]);
    fails(&m, &["share", "join", &b.url, "hello"], 2, &["neither an invite"]);
    not_joined(&m);

    // Unreachable: a port nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    fails(
        &m,
        &["share", "join", &format!("http://127.0.0.1:{closed}"), "twi_x"],
        1,
        &["cannot reach the board"],
    );
    not_joined(&m);

    // Not a board, a failing board, a board answering garbage.
    for (status, body, needle) in [
        (200, "<html>hello</html>", "did not answer as a Tokenworth board"),
        (404, "<html>not found</html>", "HTTP 404"),
        (503, "upstream down", "HTTP 503"),
        (200, "{\"team\": 5", "did not answer as a Tokenworth board"),
        (500, "", "HTTP 500"),
    ] {
        let url = fake(&b.rt, status, body);
        fails(&m, &["share", "join", &url, "twi_x"], 1, &[needle]);
        not_joined(&m);
    }

    // A used invite.
    let inv = b.invite();
    let other = machine("-o");
    ok(&other, &["share", "join", &b.url, &inv]);
    fails(&m, &["share", "join", &b.url, &inv], 1, &["HTTP 410", "new invite"]);
    not_joined(&m);

    // Not joined: the sharing commands say so.
    fails(&m, &["share", "send"], 2, &["sharing is off"]);
    fails(&m, &["share", "preview"], 2, &["sharing is off"]);
    fails(&m, &["share", "withdraw"], 2, &["sharing is off"]);

    // A board that fails during a send: nothing counts as sent.
    ok(&m, &["share", "join", &b.url, &b.invite()]);
    let settings_path = m.data.join("sharing.json");
    let good = std::fs::read_to_string(&settings_path).unwrap();
    let broken = fake(&b.rt, 503, "down");
    std::fs::write(&settings_path, good.replace(&b.url, &broken)).unwrap();
    fails(&m, &["share", "send"], 1, &["HTTP 503"]);
    let st = json(&m, &["share", "status"]);
    assert_eq!((st["sent_days"].as_u64(), st["queued_days"].as_u64()), (Some(0), Some(2)));
    std::fs::write(&settings_path, &good).unwrap();
    assert_eq!(json(&m, &["share", "send"])["sent"], 2);

    // Revoked: the admin removed the member.
    let member = json(&m, &["share", "status"])["member_id"].as_str().unwrap().to_string();
    b.remove(&member);
    fails(&m, &["share", "send"], 1, &["HTTP 401", "revoked"]);
    // Leave with a revoked token forgets this machine's membership and says so.
    fails(&m, &["share", "leave"], 1, &["forgotten here"]);
    not_joined(&m);

    assert_eq!(json(&m, &["daily", "--no-scan"]), daily);
}

#[test]
fn a_refusing_keyring_falls_back_to_a_private_file() {
    let b = Board::start();
    let m = machine("");
    // The keyring is tried (not turned off) but there is no Secret Service to answer.
    let o = cmd(&m.home, &m.data, &["share", "join", &b.url, &b.invite(), "--json"])
        .env_remove("TOKENWORTH_KEYRING")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env("XDG_RUNTIME_DIR", m.home.join("no-runtime"))
        .output()
        .unwrap();
    let err = stderr_of(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("the OS keyring refused the token"), "{err}");
    assert!(err.contains("sharing-token"), "{err}");
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["token_store"], "file");
    assert!(token(&m).starts_with("twm_"));
    assert!(!err.contains("twm_"), "the token in a message");
    // TOKENWORTH_KEYRING=off: the file, without trying.
    let m2 = machine("-2");
    let o = tw(&m2, &["share", "join", &b.url, &b.invite()]);
    assert!(o.status.success());
    assert!(stderr_of(&o).contains("turned off"));
    assert_eq!(json(&m2, &["share", "send"])["sent"], 2);
}

#[test]
fn with_sharing_off_no_command_opens_a_network_socket() {
    let strace = std::process::Command::new("strace").arg("-V").output();
    assert!(
        strace.is_ok_and(|o| o.status.success()),
        "strace is not installed: run `bash scripts/setup-app.sh --test` (or apt-get install strace)"
    );
    let m = machine("");
    let trace = m.data.parent().unwrap().join("trace");
    let run = |args: &[&str]| {
        let mut c = std::process::Command::new("strace");
        c.args(["-f", "-qq", "-e", "trace=socket,connect", "-o"]).arg(&trace).arg(bin());
        c.args(args).arg("--data-dir").arg(&m.data).args(["--timezone", "UTC"]);
        c.env("HOME", &m.home).env("NO_COLOR", "1").env_remove("TOKENWORTH_DATA_DIR");
        let o = c.output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr_of(&o));
        let t = std::fs::read_to_string(&trace).unwrap();
        assert!(!t.contains("AF_INET"), "{args:?} opened a network socket:\n{t}");
        t
    };
    let mut traced = 0;
    for args in [
        &["scan"][..],
        &["daily"],
        &["weekly"],
        &["monthly"],
        &["session"],
        &["blocks"],
        &["sources"],
        &["outcomes"],
        &["prices"],
        &["daily", "--json", "--breakdown"],
        &["share", "status"],
        &["share", "log"],
    ] {
        run(args);
        traced += 1;
    }
    // Appends between runs: a scan that reads new lines.
    let log = m.home.join(".claude/projects/-p/sess-aaaa.jsonl");
    for i in 0..3 {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        use std::io::Write;
        f.write_all(line("sess-aaaa", &m.project, &format!("x{i}"), days_ago(0), 10, 10).as_bytes()).unwrap();
        drop(f);
        run(&["scan"]);
    }
    assert!(traced > 0);
    // The trace does see a network socket when one is opened: a join (to a closed loopback port).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut c = std::process::Command::new("strace");
    c.args(["-f", "-qq", "-e", "trace=socket,connect", "-o"]).arg(&trace).arg(bin());
    c.args(["share", "join", &format!("http://127.0.0.1:{closed}"), "twi_x", "--data-dir"]).arg(&m.data);
    c.env("HOME", &m.home).env("TOKENWORTH_KEYRING", "off");
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr_of(&o));
    let t = std::fs::read_to_string(&trace).unwrap();
    assert!(t.contains("AF_INET"), "strace saw no socket of a join:\n{t}");
}

fn git(home: &Path, dir: &Path, args: &[&str], date_ms: Option<i64>) {
    let mut c = std::process::Command::new("git");
    c.arg("-C").arg(dir).args(args).env("HOME", home).env("GIT_CONFIG_NOSYSTEM", "1");
    if let Some(ms) = date_ms {
        let d = format!("{} +0000", ms / 1000);
        c.env("GIT_AUTHOR_DATE", &d).env("GIT_COMMITTER_DATE", &d);
    }
    let o = c.output().expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn sessions_count_on_their_first_day_costs_on_the_days_spent_and_add_up() {
    let b = Board::start();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let (home, data, repo) = (root.join("home"), root.join("data"), root.join("repo"));
    std::fs::create_dir_all(&repo).unwrap();
    // Session P runs over midnight (23:50 → 00:10) with a commit; Q is untagged on the second day.
    let midnight = days_ago(2) - 10 * 3_600_000;
    git(&home, &repo, &["init", "-q", "-b", "main"], None);
    git(&home, &repo, &["config", "user.email", "me@example.com"], None);
    git(&home, &repo, &["config", "user.name", "Me"], None);
    std::fs::write(repo.join("a.txt"), "one\n").unwrap();
    git(&home, &repo, &["add", "a.txt"], None);
    git(&home, &repo, &["commit", "-q", "-m", "secret commit message"], Some(midnight - 5 * 60_000));
    let dir = home.join(".claude/projects/-repo");
    write(
        &dir.join("sess-p.jsonl"),
        (line("sess-p", &repo, "p1", midnight - 10 * 60_000, 1_000_000, 0)
            + &line("sess-p", &repo, "p2", midnight + 10 * 60_000, 0, 100_000))
            .as_bytes(),
    );
    write(
        &dir.join("sess-q.jsonl"),
        line("sess-q", &repo, "q1", midnight + 3_600_000, 500_000, 0).as_bytes(),
    );
    write(
        &data.join("config.toml"),
        format!("[pricing.models.\"{MODEL}\"]\ninput = 1.0\noutput = 10.0\n").as_bytes(),
    );
    let m = Machine { _tmp: tmp, home, data, project: repo };
    ok(&m, &["share", "join", &b.url, &b.invite()]);
    ok(&m, &["tag", "sess-p", "shipped"]);
    ok(&m, &["share", "fields", "--commits", "on"]);
    let preview = ok(&m, &["share", "preview"]);
    assert!(!preview.contains("secret commit message") && !preview.contains("main"), "{preview}");
    let req: tokenworth_share::SendRequest = serde_json::from_str(preview.trim_end()).unwrap();
    let today = chrono::Utc::now().timestamp_millis().div_euclid(DAY_MS);
    req.validate(today - 89, today + 1).expect("the board's own rules hold");
    let v: Value = serde_json::from_str(preview.trim_end()).unwrap();
    let (first, second) = (&v["days"][0], &v["days"][1]);
    assert_eq!(first["day"], date(midnight - 1));
    assert_eq!(first["totals"]["cost_usd"], 1.0);
    assert_eq!(
        first["outcomes"],
        serde_json::json!([{"outcome": "shipped", "sessions": 1, "cost_usd": 1.0, "commits": 1}])
    );
    assert_eq!(second["day"], date(midnight));
    assert_eq!(second["totals"]["cost_usd"], 1.5);
    assert_eq!(
        second["outcomes"],
        serde_json::json!([
            {"outcome": "shipped", "sessions": 0, "cost_usd": 1.0, "commits": 0},
            {"outcome": "untagged", "sessions": 1, "cost_usd": 0.5, "commits": 0}
        ])
    );
    assert_eq!(json(&m, &["share", "send"]), serde_json::json!({"sent": 2, "unchanged": 0}));
    assert_eq!(b.puts(), vec![preview.trim_end().to_string()]);
    // Outcomes off: no outcome (and so no commit) figures at all.
    ok(&m, &["share", "fields", "--outcomes", "off"]);
    let p = ok(&m, &["share", "preview"]);
    assert!(!p.contains("outcomes") && !p.contains("commits"), "{p}");
}

#[test]
fn open_uses_the_browser_and_prints_the_link_only_without_one() {
    let b = Board::start();
    let m = machine("");
    ok(&m, &["share", "join", &b.url, &b.invite()]);
    let root = m.data.parent().unwrap().to_path_buf();
    let got = root.join("opened");
    let script = root.join("browser.sh");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s' \"$1\" > {}\n", got.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let empty = root.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let run = |browser: &Path| {
        cmd(&m.home, &m.data, &["share", "open"])
            .env("TOKENWORTH_KEYRING", "off")
            .env("BROWSER", browser)
            .env("PATH", &empty)
            .output()
            .unwrap()
    };
    let o = run(&script);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let url = std::fs::read_to_string(&got).unwrap();
    assert!(url.starts_with(&format!("{}/signin/tws_", b.url)), "{url}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("tws_"), "the link printed although a browser opened it: {out}");
    let o = run(Path::new("/bin/false"));
    assert!(o.status.success(), "{}", stderr_of(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(&format!("{}/signin/tws_", b.url)), "{out}");
    let tok = token(&m);
    assert!(!out.contains(&tok) && !stderr_of(&o).contains(&tok));
}
