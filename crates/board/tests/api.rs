//! The board's API on loopback against the real server, each test once on SQLite and once on
//! PostgreSQL.

mod common;

use common::*;
use serde_json::{json, Value};

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Engine::Lite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Engine::Pg).await
            }
        }
    };
}

both!(full_flow);
both!(bad_input);
both!(same_day_from_two_connections);
both!(rate_limit);
both!(expiry);
both!(migrations);
both!(window);
both!(review_list);
both!(page_cache_sees_other_connections);

fn quartiles(mut v: Vec<f64>) -> [f64; 3] {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |p: f64| {
        let pos = p * (v.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        let x = v[lo] + (v[hi] - v[lo]) * (pos - lo as f64);
        (x * 100.0).round() / 100.0
    };
    [q(0.25), q(0.5), q(0.75)]
}

fn q(b: &Value) -> Option<[f64; 3]> {
    b["spend"]["quartiles_usd"]
        .as_array()
        .map(|a| [a[0].as_f64().unwrap(), a[1].as_f64().unwrap(), a[2].as_f64().unwrap()])
}

async fn full_flow(engine: Engine) {
    let Some(b) = start(engine).await else { return };
    b.team("demo", 5).await;
    b.team("other", 5).await;
    let x = b.today() - 10;
    let week = format!("period=week&date={}", date(x));

    // Six members; ann adds a second machine with a device code.
    let ann = b.join("demo", "ann").await;
    let (s, code) = b.post("/api/v1/devices/code", Some(&ann.token), None).await;
    assert_eq!(s, 201, "{code}");
    let (s, v) = b.post("/api/v1/devices/join", None, Some(&json!({"code": code["code"]}))).await;
    assert_eq!(s, 201, "{v}");
    let ann2 = member(&v);
    assert_eq!(ann2.member_id, ann.member_id);
    assert_ne!(ann2.device_id, ann.device_id);
    assert_ne!(ann2.token, ann.token);
    let (s, v) = b.post("/api/v1/devices/join", None, Some(&json!({"code": code["code"]}))).await;
    assert_eq!(s, 410, "a device code is single use: {v}");
    let (s, me) = b.get("/api/v1/me", Some(&ann2.token)).await;
    assert_eq!(s, 200);
    assert_eq!(me["device_id"], ann2.device_id.as_str());
    assert_eq!(
        (me["alias"].as_str(), me["window_days"].as_u64(), me["min_group"].as_u64()),
        (Some("ann"), Some(90), Some(5))
    );
    let bob = b.join("demo", "bob").await;
    let cat = b.join("demo", "cat").await;
    let dan = b.join("demo", "dan").await;
    let eve = b.join("demo", "eve").await;
    let fay = b.join("demo", "fay").await;
    let outsider = b.join("other", "zed").await;

    // Four contributors: every figure hidden.
    let tool = Some("claude-code");
    for (m, cost) in [(&bob, 4.0), (&cat, 5.0), (&dan, 6.0), (&eve, 7.0)] {
        let (s, v) =
            b.send(m, vec![day(&date(x), cost, tool, Some("claude-sonnet-4-5"), Some(("shipped", 2)))]).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v, json!({"stored": 1, "replaced": 0}));
    }
    let v = b.board("demo", &bob.token, &week).await;
    assert_eq!(q(&v), None, "{v}");
    assert_eq!(hidden(&v, "spend").as_deref(), Some("fewer_than_k"));
    assert_eq!(hidden(&v, "outcomes").as_deref(), Some("fewer_than_k"));
    assert!(v["outcomes"].get("shipped_sessions").is_none());
    assert_eq!(hidden(&v, "model:claude-sonnet-4-5").as_deref(), Some("fewer_than_k"));

    // The fifth: they show. Ann's two machines add up.
    b.send(&ann, vec![day(&date(x), 1.0, tool, None, Some(("fixed", 1)))]).await;
    b.send(&ann2, vec![day(&date(x), 2.0, tool, None, Some(("abandoned", 1)))]).await;
    let v = b.board("demo", &ann.token, &week).await;
    assert_eq!(q(&v), Some(quartiles(vec![3.0, 4.0, 5.0, 6.0, 7.0])), "{v}");
    assert_eq!(v["spend"]["contributors"], 5);
    assert_eq!(v["me"]["cost_usd"], 3.0);
    assert_eq!(v["outcomes"]["contributors"], 5);
    assert_eq!(v["outcomes"]["shipped_sessions"], 8);
    assert_eq!(v["outcomes"]["fixed_sessions"], 1);
    assert_eq!(v["outcomes"]["cost_per_shipped_usd"], 22.0 / 8.0);
    assert_eq!(v["outcomes"]["share_abandoned"], 0.08);
    let s = slice(&v, "tool", "claude-code").expect("five members on one tool: shown");
    assert_eq!(s["contributors"], 5);
    assert_eq!(s["cost_usd"], 25.0);

    // Fay shares neither tools nor outcomes: present in spend, absent from outcome figures;
    // the tool slice now differs from the total by one member, so it is hidden.
    b.send(&fay, vec![day(&date(x), 9.0, None, None, None)]).await;
    let v = b.board("demo", &fay.token, &week).await;
    assert_eq!(v["spend"]["contributors"], 6);
    assert_eq!(q(&v), Some(quartiles(vec![3.0, 4.0, 5.0, 6.0, 7.0, 9.0])));
    assert_eq!(v["outcomes"]["contributors"], 5);
    assert_eq!(v["outcomes"]["shipped_sessions"], 8);
    assert_eq!(v["me"]["cost_usd"], 9.0);
    assert!(v["me"].get("shipped_sessions").is_none(), "{v}");
    assert!(slice(&v, "tool", "claude-code").is_none(), "{v}");
    assert_eq!(hidden(&v, "tool:claude-code").as_deref(), Some("difference_isolates"));
    let text = v.to_string();
    assert!(!text.contains("\"cost_usd\":25.0"), "a hidden figure is not in the JSON: {text}");

    // A non-member gets 404 for the team.
    let (s, _) = b.get(&format!("/api/v1/teams/demo/board?{week}"), Some(&outsider.token)).await;
    assert_eq!(s, 404);
    let (s, _) = b.get("/teams/demo", Some(&outsider.token)).await;
    assert_eq!(s, 404);

    // A resend replaces the day, never adds to it.
    let (s, v) =
        b.send(&bob, vec![day(&date(x), 10.0, tool, Some("claude-sonnet-4-5"), Some(("shipped", 2)))]).await;
    assert_eq!((s, v), (200, json!({"stored": 1, "replaced": 1})));
    let v = b.board("demo", &bob.token, &week).await;
    assert_eq!(v["me"]["cost_usd"], 10.0);
    assert_eq!(q(&v), Some(quartiles(vec![3.0, 10.0, 5.0, 6.0, 7.0, 9.0])));
    assert_eq!(b.rows("day_tools", &bob.member_id).await, 1);

    // A date-range withdraw removes those days only.
    b.send(&cat, vec![day(&date(x - 1), 1.0, tool, None, None)]).await;
    assert_eq!(b.rows("days", &cat.member_id).await, 2);
    let (s, v) = b.delete(&format!("/api/v1/data?from={}&to={}", date(x - 1), date(x - 1)), &cat.token).await;
    assert_eq!((s, v), (200, json!({"deleted_days": 1})));
    assert_eq!(b.rows("days", &cat.member_id).await, 1);
    assert_eq!(b.rows("day_tools", &cat.member_id).await, 1);

    // A full withdraw: every row of the member gone, on every device; membership and token stay.
    assert_eq!(b.rows("days", &ann.member_id).await, 2);
    let (s, v) = b.delete("/api/v1/data", &ann2.token).await;
    assert_eq!((s, v), (200, json!({"deleted_days": 2})));
    for t in ["days", "day_tools", "day_models", "day_outcomes", "reviews"] {
        assert_eq!(b.rows(t, &ann.member_id).await, 0, "{t}");
    }
    assert_eq!(b.rows("members", &ann.member_id).await, 1);
    let v = b.board("demo", &ann.token, &week).await;
    assert_eq!(v["me"]["cost_usd"], 0.0);
    assert_eq!(v["spend"]["contributors"], 5);

    // A leave: data, membership and devices gone, the token answers 401.
    let (s, _) = b.delete("/api/v1/membership", &dan.token).await;
    assert_eq!(s, 200);
    for t in ["days", "day_tools", "day_models", "day_outcomes", "devices", "members"] {
        assert_eq!(b.rows(t, &dan.member_id).await, 0, "{t}");
    }
    let (s, v) = b.get(&format!("/api/v1/teams/demo/board?{week}"), Some(&dan.token)).await;
    assert_eq!(s, 401, "{v}");
    let (s, _) = b.send(&dan, vec![day(&date(x), 1.0, None, None, None)]).await;
    assert_eq!(s, 401);

    // Four contributors left: hidden again.
    let v = b.board("demo", &bob.token, &week).await;
    assert_eq!(v["spend"]["contributors"], Value::Null);
    assert_eq!(hidden(&v, "spend").as_deref(), Some("fewer_than_k"));

    // Sign-in: a single-use link; its cookie is HttpOnly and SameSite=Strict, and the page
    // and figures answer to it; a used link does not work again.
    let (s, v) = b.post("/api/v1/signin", Some(&bob.token), None).await;
    assert_eq!(s, 201, "{v}");
    let link = v["link"].as_str().unwrap().to_string();
    assert!(!link.contains(&bob.token));
    let r = b.http.get(format!("{}{link}", b.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/teams/demo");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let page = b.http.get(format!("{}/teams/demo", b.base)).header("cookie", &pair).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let other = b.http.get(format!("{}/teams/other", b.base)).header("cookie", &pair).send().await.unwrap();
    assert_eq!(other.status().as_u16(), 404);
    let again = b.http.get(format!("{}{link}", b.base)).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 410);

    // The admin's link shows the review list; members may not see it.
    let admin_code = tokenworth_board::store::signin_link(&b.state.db, "demo", None, b.now()).await.unwrap();
    let r = b.http.get(format!("{}/signin/{admin_code}", b.base)).send().await.unwrap();
    let admin = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let r = b
        .http
        .get(format!("{}/api/v1/teams/demo/review", b.base))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (s, _) = b.get("/api/v1/teams/demo/review", Some(&bob.token)).await;
    assert_eq!(s, 403);
}

async fn bad_input(engine: Engine) {
    let Some(b) = start(engine).await else { return };
    b.team("demo", 5).await;
    let m = b.join("demo", "ann").await;
    let today = b.today();
    let ok = day(&date(today), 1.0, None, None, None);
    let put = |body: Vec<u8>| b.raw(reqwest::Method::PUT, "/api/v1/days", Some(&m.token), body);

    let mut cases: Vec<(&str, Answer)> = Vec::new();
    cases.push(("malformed JSON", put(b"{\"days\": [".to_vec()).await));
    cases.push(("not JSON", put(b"hello".to_vec()).await));
    let mut unknown = ok.clone();
    unknown["prompt"] = json!("secret prompt");
    cases.push(("unknown field", b.send(&m, vec![unknown]).await));
    let mut project = ok.clone();
    project["totals"]["project"] = json!("/home/ann/secret");
    cases.push(("unknown nested field", b.send(&m, vec![project]).await));
    let mut neg = ok.clone();
    neg["totals"]["input_tokens"] = json!(-5);
    cases.push(("negative count", b.send(&m, vec![neg]).await));
    let mut text = ok.clone();
    text["totals"]["output_tokens"] = json!("100");
    cases.push(("non-numeric count", b.send(&m, vec![text]).await));
    let mut negcost = ok.clone();
    negcost["totals"]["cost_usd"] = json!(-1.0);
    cases.push(("negative cost", b.send(&m, vec![negcost]).await));
    let mut badsum = ok.clone();
    badsum["totals"]["total_tokens"] = json!(1);
    cases.push(("sums do not add up", b.send(&m, vec![badsum]).await));
    let mut badsplit = day(&date(today), 1.0, Some("codex"), None, None);
    badsplit["tools"][0]["tokens"]["input_tokens"] = json!(1);
    cases.push(("tools do not add up", b.send(&m, vec![badsplit]).await));
    cases
        .push(("a day after tomorrow", b.send(&m, vec![day(&date(today + 2), 1.0, None, None, None)]).await));
    cases.push((
        "a day older than the window",
        b.send(&m, vec![day(&date(today - 90), 1.0, None, None, None)]).await,
    ));
    cases.push(("not a date", b.send(&m, vec![day("2026-02-30", 1.0, None, None, None)]).await));
    cases.push((
        "a tool name with SQL",
        b.send(&m, vec![day(&date(today), 1.0, Some("x'); DROP TABLE days;--"), None, None)]).await,
    ));
    cases.push((
        "a good day and a bad one (nothing half-stored)",
        b.send(&m, vec![ok.clone(), day(&date(today + 5), 1.0, None, None, None)]).await,
    ));
    let big = vec![b' '; 1024 * 1024 + 10];
    cases.push(("a body over 1 MB", put(big).await));
    let wrong = Member { token: format!("twm_{}", "0".repeat(64)), ..m.clone() };
    cases.push(("a wrong token", b.send(&wrong, vec![ok.clone()]).await));
    let garbage = Member { token: "hello".into(), ..m.clone() };
    cases.push(("a malformed token", b.send(&garbage, vec![ok.clone()]).await));
    cases.push((
        "no token",
        b.raw(reqwest::Method::PUT, "/api/v1/days", None, ok.to_string().into_bytes()).await,
    ));
    let inv = b.invite("demo").await;
    let (s, _) = b.post("/api/v1/join", None, Some(&json!({"invite": inv, "alias": "bob"}))).await;
    assert_eq!(s, 201);
    cases.push((
        "a used invite",
        b.post("/api/v1/join", None, Some(&json!({"invite": inv, "alias": "cat"}))).await,
    ));
    cases.push((
        "an unknown invite",
        b.post(
            "/api/v1/join",
            None,
            Some(&json!({"invite": format!("twi_{}", "a".repeat(64)), "alias": "cat"})),
        )
        .await,
    ));
    for alias in ["Robert'); DROP TABLE members;--", "<script>alert(1)</script>", "", "ann\"", "a\u{0}b"] {
        let inv = b.invite("demo").await;
        cases.push((
            "an alias with metacharacters",
            b.post("/api/v1/join", None, Some(&json!({"invite": inv, "alias": alias}))).await,
        ));
    }
    let inv = b.invite("demo").await;
    cases.push((
        "a taken alias",
        b.post("/api/v1/join", None, Some(&json!({"invite": inv, "alias": "ann"}))).await,
    ));
    cases.push((
        "a join with an unknown field",
        b.post("/api/v1/join", None, Some(&json!({"invite": inv, "alias": "x", "host": "ann-laptop"}))).await,
    ));
    cases.push((
        "an unknown device code",
        b.post("/api/v1/devices/join", None, Some(&json!({"code": "twd_nope"}))).await,
    ));
    cases.push((
        "a bad withdraw range",
        b.delete("/api/v1/data?from=2026-13-01&to=2026-12-01", &m.token).await,
    ));
    cases.push(("half a withdraw range", b.delete("/api/v1/data?from=2026-11-01", &m.token).await));
    cases.push(("a bad period", b.get("/api/v1/teams/demo/board?period=year", Some(&m.token)).await));
    cases.push(("a bad date", b.get("/api/v1/teams/demo/board?date=yesterday", Some(&m.token)).await));
    cases.push(("an unknown query field", b.get("/api/v1/teams/demo/board?alias=ann", Some(&m.token)).await));
    cases.push(("an unknown route", b.get("/api/v2/everything", None).await));
    cases.push(("a board with SQL in its name", b.get("/api/v1/teams/demo';--/board", Some(&m.token)).await));

    for (what, (status, body)) in &cases {
        assert!((400..500).contains(status), "{what}: {status} {body}");
        let reason = body["error"].as_str().unwrap_or("");
        assert!(!reason.is_empty(), "{what}: a reason is given: {body}");
    }
    let status = |what: &str| cases.iter().find(|(w, _)| *w == what).unwrap().1 .0;
    assert_eq!(status("a body over 1 MB"), 413);
    assert_eq!(status("a wrong token"), 401);
    assert_eq!(status("a used invite"), 410);
    assert_eq!(status("a taken alias"), 409);
    // Nothing was stored by any refused request, and the tables are all there.
    assert_eq!(b.rows("days", &m.member_id).await, 0);
    let (s, v) = b.send(&m, vec![ok]).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(b.rows("days", &m.member_id).await, 1);
}

async fn same_day_from_two_connections(engine: Engine) {
    let Some(b) = start(engine).await else { return };
    b.team("demo", 5).await;
    let m = b.join("demo", "ann").await;
    let d = date(b.today());
    let mut tasks = Vec::new();
    for i in 0..2 {
        let (base, token, d) = (b.base.clone(), m.token.clone(), d.clone());
        tasks.push(tokio::spawn(async move {
            // Each task has its own connection pool: two connections.
            let http = reqwest::Client::new();
            let mut statuses = Vec::new();
            for j in 0..25 {
                let cost = f64::from(1 + i * 100 + j);
                let mut v = day(&d, cost, Some("claude-code"), Some("m1"), Some(("shipped", 1)));
                // Two tools, so a half-replaced day would not add up.
                let t = |c: f64| tokens((c * 1000.0) as u64, (c * 100.0) as u64, c);
                v["tools"] = json!([{"name": "claude-code", "tokens": t(cost - 0.5)}, {"name": "codex", "tokens": t(0.5)}]);
                v["totals"] = {
                    let mut x = t(cost - 0.5);
                    let y = t(0.5);
                    for f in ["input_tokens", "output_tokens", "total_tokens"] {
                        x[f] = json!(x[f].as_u64().unwrap() + y[f].as_u64().unwrap());
                    }
                    x["cost_usd"] = json!(cost);
                    x
                };
                v["models"] = json!([{"name": "m1", "tokens": v["totals"]}]);
                let r = http
                    .put(format!("{base}/api/v1/days"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(json!({"days": [v]}).to_string())
                    .send()
                    .await
                    .unwrap();
                statuses.push(r.status().as_u16());
            }
            statuses
        }));
    }
    for t in tasks {
        for s in t.await.unwrap() {
            assert_eq!(s, 200);
        }
    }
    assert_eq!(b.rows("days", &m.member_id).await, 1);
    assert_eq!(b.rows("day_tools", &m.member_id).await, 2);
    assert_eq!(b.rows("day_models", &m.member_id).await, 1);
    assert_eq!(b.rows("day_outcomes", &m.member_id).await, 1);
    let mut tx = b.state.db.read().await.unwrap();
    let r = tx
        .query_one(
            "SELECT d.cost_micros, (SELECT CAST(SUM(cost_micros) AS BIGINT) FROM day_tools t WHERE t.member_id = d.member_id) \
             FROM days d WHERE d.member_id = $1",
            &[m.member_id.as_str().into()],
        )
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(r[0], r[1], "the day and its split come from the same request");
}

async fn rate_limit(engine: Engine) {
    let Some(b) = start_with(engine, tokenworth_board::limit::Limiter::new(5, 60)).await else { return };
    b.team("demo", 5).await;
    let m = b.join("demo", "ann").await;
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..8 {
        let r = b
            .http
            .get(format!("{}/api/v1/teams/demo/board", b.base))
            .bearer_auth(&m.token)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status().as_u16() == 429 {
            retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
            let body: Value = r.json().await.unwrap();
            assert!(body["error"].as_str().unwrap().contains("too many"));
        }
    }
    assert_eq!(statuses[..5], [200; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() >= 1));
    // Another token is not limited by the first one's burst.
    let n = b.join("demo", "bob").await;
    assert_eq!(b.get("/api/v1/me", Some(&n.token)).await.0, 200);
}

async fn expiry(engine: Engine) {
    let Some(b) = start(engine).await else { return };
    b.team("demo", 5).await;
    let m = b.join("demo", "ann").await;
    let inv = b.invite("demo").await; // one hour
    let (_, code) = b.post("/api/v1/devices/code", Some(&m.token), None).await; // ten minutes
    let (_, link) = b.post("/api/v1/signin", Some(&m.token), None).await; // two minutes
    b.advance(2 * 3600);
    let (s, v) = b.post("/api/v1/join", None, Some(&json!({"invite": inv, "alias": "bob"}))).await;
    assert_eq!(s, 410, "{v}");
    assert!(v["error"].as_str().unwrap().contains("expired"));
    let (s, _) = b.post("/api/v1/devices/join", None, Some(&json!({"code": code["code"]}))).await;
    assert_eq!(s, 410);
    let (s, _) = b.get(link["link"].as_str().unwrap(), None).await;
    assert_eq!(s, 410);
    assert_eq!(b.get("/api/v1/me", Some(&m.token)).await.0, 200);
    b.advance(366 * 86_400);
    let (s, v) = b.get("/api/v1/me", Some(&m.token)).await;
    assert_eq!(s, 401, "{v}");
    assert!(v["error"].as_str().unwrap().contains("expired"));
}

/// Each migration from the schema before it: rows stored at schema 1 survive schema 2.
async fn migrations(engine: Engine) {
    use tokenworth_board::db;
    let Some((store, _dir, _)) = store_on(engine).await else { return };
    let now = now_secs();
    assert_eq!(db::migrate_to(&store, 1, now).await.unwrap(), 1);
    let mut tx = store.write().await.unwrap();
    tx.exec("INSERT INTO teams (name, min_group, window_days, created_at) VALUES ('t', 5, 90, 1)", &[])
        .await
        .unwrap();
    tx.exec("INSERT INTO members (id, team, alias, joined_at) VALUES ('m1', 't', 'ann', 1)", &[])
        .await
        .unwrap();
    tx.exec(
        "INSERT INTO days (member_id, device_id, day, team, input_tokens, cache_creation_tokens, cache_read_tokens, \
         output_tokens, reasoning_tokens, total_tokens, unpriced_tokens, cost_micros, has_tools, has_models, \
         has_outcomes, received_at) VALUES ('m1', 'd1', '2026-12-01', 't', 1, 2, 3, 4, 0, 10, 0, 5, 0, 0, 0, 1)",
        &[],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db::migrate(&store, now).await.unwrap(), db::MIGRATIONS.last().unwrap().0);
    let mut tx = store.read().await.unwrap();
    let r = tx.query_one("SELECT alias FROM members WHERE id = 'm1'", &[]).await.unwrap().unwrap();
    assert_eq!(r[0].text(), "ann");
    let r = tx
        .query_one("SELECT total_tokens, cost_micros FROM days WHERE member_id = 'm1'", &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r[0].int(), r[1].int()), (10, 5));
    let r = tx.query_one("SELECT CAST(COUNT(*) AS BIGINT) FROM reviews", &[]).await.unwrap().unwrap();
    assert_eq!(r[0].int(), 0);
    tx.commit().await.unwrap();
    // Applying again changes nothing.
    assert_eq!(db::migrate(&store, now).await.unwrap(), db::MIGRATIONS.last().unwrap().0);
}

/// On SQLite a member who leaves cannot be read back from the board's files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_left_is_not_in_the_sqlite_files() {
    let b = start(Engine::Lite).await.unwrap();
    b.team("demo", 5).await;
    let alias = "Quixotic-Zebra-7741";
    let m = b.join("demo", alias).await;
    let mut d = day(&date(b.today()), 123.456789, Some("rare-tool-name-xyz"), None, None);
    d["totals"]["input_tokens"] = json!(987_654_321u64 - 12_345);
    d["totals"]["total_tokens"] = json!(987_654_321u64 - 12_345 + 12_345);
    d["totals"]["output_tokens"] = json!(12_345);
    d["tools"][0]["tokens"] = d["totals"].clone();
    let (s, v) = b.send(&m, vec![d]).await;
    assert_eq!(s, 200, "{v}");
    let files = || {
        let mut all = Vec::new();
        for e in std::fs::read_dir(b.dir.path()).unwrap() {
            all.extend(std::fs::read(e.unwrap().path()).unwrap());
        }
        all
    };
    let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(has(&files(), alias.as_bytes()), "the test can see the alias before");
    assert!(has(&files(), b"rare-tool-name-xyz"));
    let (s, _) = b.delete("/api/v1/membership", &m.token).await;
    assert_eq!(s, 200);
    let after = files();
    assert!(!has(&after, alias.as_bytes()), "the alias is gone from the files");
    assert!(!has(&after, b"rare-tool-name-xyz"), "the member's tool split is gone from the files");
}

/// Days older than the team's window are deleted: when the window shrinks, and as time passes.
async fn window(engine: Engine) {
    let Some(b) = start(engine).await else { return };
    b.team("demo", 3).await;
    let m = b.join("demo", "ann").await;
    let today = b.today();
    let (s, v) = b
        .send(
            &m,
            vec![day(&date(today - 20), 1.0, None, None, None), day(&date(today), 1.0, None, None, None)],
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(b.rows("days", &m.member_id).await, 2);
    let t = tokenworth_board::store::set_team(&b.state.db, "demo", None, Some(10)).await.unwrap();
    tokenworth_board::store::apply_window(&b.state.db, &b.state.memory, &t, b.now()).await.unwrap();
    assert_eq!(b.rows("days", &m.member_id).await, 1);
    let (s, _) = b.send(&m, vec![day(&date(today - 15), 1.0, None, None, None)]).await;
    assert_eq!(s, 400, "a day older than the window is refused");
    // Eleven days on, today's day has left the window: the next request applies it.
    b.advance(11 * 86_400);
    b.board("demo", &m.token, "period=month").await;
    assert_eq!(b.rows("days", &m.member_id).await, 0);
}

/// The plausibility checks put days on the admin's review list with their reasons; nothing is
/// refused.
async fn review_list(engine: Engine) {
    let Some(b) = start(engine).await else { return };
    b.team("demo", 3).await;
    let today = b.today();
    let mut ms = Vec::new();
    for a in ["ann", "bob", "cat", "dan"] {
        let m = b.join("demo", a).await;
        b.send(&m, vec![day(&date(today - 3), 2.0, None, None, None)]).await;
        ms.push(m);
    }
    // The median member-day is $2: a $50 day is above 20x; a day with $30 of wasted work only
    // is heavy spend with no outcome; the same total three days running repeats.
    let (s, _) = b.send(&ms[0], vec![day(&date(today - 1), 50.0, None, None, None)]).await;
    assert_eq!(s, 200);
    b.send(&ms[1], vec![day(&date(today - 1), 30.0, None, None, Some(("wasted", 2)))]).await;
    for d in [today - 2, today - 1, today] {
        b.send(&ms[2], vec![day(&date(d), 3.0, None, None, None)]).await;
    }
    b.send(&ms[3], vec![day(&date(today - 1), 3.0, None, None, Some(("shipped", 1)))]).await;
    let items = tokenworth_board::store::review(&b.state.db, "demo").await.unwrap();
    let of = |alias: &str| {
        items.iter().filter(|i| i.alias == alias).flat_map(|i| i.reasons.clone()).collect::<Vec<_>>()
    };
    assert!(of("ann").iter().any(|r| r.contains("20x")), "{items:?}");
    assert!(of("bob").iter().any(|r| r.contains("no session shipped")), "{items:?}");
    assert!(of("cat").iter().any(|r| r.contains("three days running")), "{items:?}");
    assert!(of("dan").is_empty(), "{items:?}");
    // A resend that passes the checks takes the day off the list.
    b.send(&ms[0], vec![day(&date(today - 1), 2.5, None, None, None)]).await;
    let items = tokenworth_board::store::review(&b.state.db, "demo").await.unwrap();
    assert!(items.iter().all(|i| i.alias != "ann"), "{items:?}");
}

/// The page's figures are kept between requests; a write through another connection to the
/// same store (as the admin CLI makes, from its own process) is seen at once.
async fn page_cache_sees_other_connections(engine: Engine) {
    use tokenworth_board::db::Db;
    let Some(b) = start(engine).await else { return };
    b.team("demo", 5).await;
    let x = b.today() - 3;
    let week = format!("period=week&date={}", date(x));
    let mut ms = Vec::new();
    for (i, alias) in ["ann", "bob", "cat", "dan", "eve", "fay"].iter().enumerate() {
        let m = b.join("demo", alias).await;
        let (s, v) = b.send(&m, vec![day(&date(x), 1.0 + i as f64, None, None, None)]).await;
        assert_eq!(s, 200, "{v}");
        ms.push(m);
    }
    let v = b.board("demo", &ms[0].token, &week).await;
    assert_eq!(v["spend"]["contributors"], 6);
    let again = b.board("demo", &ms[1].token, &week).await;
    assert_eq!(again["spend"], v["spend"], "the same figures from the cache");
    assert_eq!(again["me"]["cost_usd"], 2.0, "the viewer's own figures");
    // Another handle on the store, as `tokenworth-board admin remove` opens.
    let other = match engine {
        Engine::Lite => Db::open_sqlite(b.dir.path(), false).unwrap(),
        Engine::Pg => Db::open_postgres(b.url.as_deref().unwrap(), 2).unwrap(),
    };
    let mem = tokenworth_board::store::Memory::default();
    tokenworth_board::store::remove(&other, &mem, "demo", "fay", b.now()).await.unwrap();
    let v = b.board("demo", &ms[0].token, &week).await;
    assert_eq!(v["spend"]["contributors"], 5, "{v}");
    assert_eq!(q(&v), Some(quartiles(vec![1.0, 2.0, 3.0, 4.0, 5.0])));
    // And a send through this server changes them too.
    b.send(&ms[0], vec![day(&date(x), 10.0, None, None, None)]).await;
    let v = b.board("demo", &ms[2].token, &week).await;
    assert_eq!(q(&v), Some(quartiles(vec![10.0, 2.0, 3.0, 4.0, 5.0])));
}
