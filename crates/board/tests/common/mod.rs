//! A real board on loopback for the API tests, on SQLite (a temp dir) or PostgreSQL (a fresh
//! database in the cluster named by TOKENWORTH_TEST_DATABASE_URL; scripts/with-postgres.sh
//! starts a throwaway one). The clock is pinned in the state and can be moved on.

#![allow(dead_code)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use tokenworth_board::db::Db;
use tokenworth_board::{limit, store, State};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Engine {
    Lite,
    Pg,
}

/// The base URL of the test cluster. Without it the PostgreSQL half of the suite cannot run,
/// and says so by failing, unless TOKENWORTH_BOARD_SKIP_PG=1 was set on purpose.
pub fn pg_url() -> Option<String> {
    match std::env::var("TOKENWORTH_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("TOKENWORTH_BOARD_SKIP_PG").as_deref() == Ok("1") => {
            eprintln!("PostgreSQL half skipped: TOKENWORTH_BOARD_SKIP_PG=1");
            None
        }
        _ => panic!(
            "TOKENWORTH_TEST_DATABASE_URL is not set: run the board tests through \
             `bash scripts/with-postgres.sh cargo test -p tokenworth-board` (or set \
             TOKENWORTH_BOARD_SKIP_PG=1 to run the SQLite half only)"
        ),
    }
}

/// A fresh, empty PostgreSQL database in the test cluster; its URL.
pub async fn fresh_pg() -> Option<String> {
    let base = pg_url()?;
    let (client, conn) =
        tokio_postgres::connect(&base, tokio_postgres::NoTls).await.expect("connect to the test cluster");
    tokio::spawn(conn);
    let name = format!("tw_{}", tokenworth_board::secret::new_id());
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
    let (head, _) = base.rsplit_once('/').expect("a database URL ends in /DBNAME");
    let url = format!("{head}/{name}");
    Some(url)
}

pub struct Board {
    pub engine: Engine,
    pub base: String,
    pub state: Arc<State>,
    pub clock: Arc<AtomicI64>,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub url: Option<String>,
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A store (empty, initialised) on `engine`; None when the PostgreSQL half is skipped.
pub async fn store_on(engine: Engine) -> Option<(Db, tempfile::TempDir, Option<String>)> {
    let dir = tempfile::tempdir().unwrap();
    match engine {
        Engine::Lite => Some((Db::open_sqlite(dir.path(), true).unwrap(), dir, None)),
        Engine::Pg => {
            let url = fresh_pg().await?;
            Some((Db::open_postgres(&url, 16).unwrap(), dir, Some(url)))
        }
    }
}

pub async fn start(engine: Engine) -> Option<Board> {
    start_with(engine, limit::Limiter::new(10_000, 600_000)).await
}

pub async fn start_with(engine: Engine, limiter: limit::Limiter) -> Option<Board> {
    let (db, dir, url) = store_on(engine).await?;
    let clock = Arc::new(AtomicI64::new(now_secs()));
    let c = clock.clone();
    let mut state = State::new(db, Arc::new(move || c.load(Ordering::SeqCst)));
    state.limiter = limiter;
    store::init(&state.db, state.now()).await.unwrap();
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = tokenworth_board::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Some(Board { engine, base, state, clock, http, dir, url })
}

/// A member as the tests hold them.
#[derive(Clone, Debug)]
pub struct Member {
    pub member_id: String,
    pub device_id: String,
    pub token: String,
}

/// (status, JSON body or Null)
pub type Answer = (u16, Value);

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

impl Board {
    pub fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    pub fn advance(&self, secs: i64) {
        self.clock.fetch_add(secs, Ordering::SeqCst);
    }

    pub fn today(&self) -> i64 {
        store::utc_day(self.now())
    }

    pub async fn team(&self, name: &str, k: i64) {
        store::create_team(&self.state.db, name, Some(k), None, self.now()).await.unwrap();
    }

    pub async fn invite(&self, team: &str) -> String {
        store::invite(&self.state.db, team, 3600, self.now()).await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        let mut r = self.http.post(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b.to_string());
        }
        answer(r.send().await.unwrap()).await
    }

    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut r = self.http.request(method, format!("{}{path}", self.base)).body(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        answer(r.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        answer(r.send().await.unwrap()).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        answer(self.http.delete(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap())
            .await
    }

    pub async fn join(&self, team: &str, alias: &str) -> Member {
        let invite = self.invite(team).await;
        let (s, v) = self.post("/api/v1/join", None, Some(&json!({"invite": invite, "alias": alias}))).await;
        assert_eq!(s, 201, "{v}");
        member(&v)
    }

    pub async fn send(&self, m: &Member, days: Vec<Value>) -> Answer {
        let body = json!({ "days": days });
        answer(
            self.http
                .put(format!("{}/api/v1/days", self.base))
                .bearer_auth(&m.token)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn board(&self, team: &str, token: &str, query: &str) -> Value {
        let (s, v) = self.get(&format!("/api/v1/teams/{team}/board?{query}"), Some(token)).await;
        assert_eq!(s, 200, "{v}");
        v
    }

    /// Rows in `table` for a member (any column set keyed by member_id).
    pub async fn rows(&self, table: &str, member: &str) -> i64 {
        let key = if table == "members" { "id" } else { "member_id" };
        let mut tx = self.state.db.read().await.unwrap();
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table} WHERE {key} = $1");
        let n = tx.query_one(&sql, &[member.into()]).await.unwrap().unwrap()[0].int();
        tx.commit().await.unwrap();
        n
    }
}

pub fn member(v: &Value) -> Member {
    Member {
        member_id: v["member_id"].as_str().unwrap().into(),
        device_id: v["device_id"].as_str().unwrap().into(),
        token: v["token"].as_str().unwrap().into(),
    }
}

pub fn tokens(input: u64, output: u64, cost: f64) -> Value {
    json!({
        "input_tokens": input, "cache_creation_tokens": 0, "cache_read_tokens": 0,
        "output_tokens": output, "reasoning_tokens": 0, "total_tokens": input + output,
        "cost_usd": cost, "unpriced_tokens": 0
    })
}

/// A day of `cost` dollars (1000 input and 100 output tokens per dollar), with the split per
/// tool and per model (all on one name) and outcomes (all of the cost on `outcome`, with
/// `sessions` sessions) when given.
pub fn day(
    date: &str,
    cost: f64,
    tool: Option<&str>,
    model: Option<&str>,
    outcome: Option<(&str, u64)>,
) -> Value {
    let t = tokens((cost * 1000.0) as u64, (cost * 100.0) as u64, cost);
    let mut d = json!({ "day": date, "totals": t });
    if let Some(name) = tool {
        d["tools"] = json!([{ "name": name, "tokens": t }]);
    }
    if let Some(name) = model {
        d["models"] = json!([{ "name": name, "tokens": t }]);
    }
    if let Some((o, sessions)) = outcome {
        d["outcomes"] =
            json!([{ "outcome": o, "sessions": sessions, "cost_usd": cost, "commits": sessions }]);
    }
    d
}

pub fn date(day: i64) -> String {
    tokenworth_share::format_day(day)
}

pub fn hidden(board: &Value, figure: &str) -> Option<String> {
    board["hidden"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["figure"] == figure)
        .map(|h| h["reason"].as_str().unwrap().to_string())
}

pub fn slice<'a>(board: &'a Value, kind: &str, name: &str) -> Option<&'a Value> {
    board["slices"].as_array().unwrap().iter().find(|s| s["kind"] == kind && s["name"] == name)
}
