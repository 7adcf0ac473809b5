//! The HTTP routes (documented in docs/board-api.md). Every refusal is a 4xx with a JSON
//! `{"error": reason}`; bodies are parsed by hand so that a malformed, oversized or unknown-field
//! body gets its reason too.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokenworth_share as share;

use crate::stats::Period;
use crate::store::{self, Caller, Fail, Viewer};
use crate::{secret, State};

/// The largest body the board reads.
pub const MAX_BODY: usize = 1024 * 1024;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const COOKIE: &str = "tw_session";

const PAGE_HTML: &str = include_str!("../page/index.html");
const PAGE_JS: &str = include_str!("../page/board.js");
const PAGE_CSS: &str = include_str!("../page/board.css");

type S = AxState<Arc<State>>;

/// A refusal (or a failure) as an HTTP answer.
pub struct ApiError {
    fail: Fail,
    retry_after: Option<u64>,
}

impl From<Fail> for ApiError {
    fn from(fail: Fail) -> Self {
        ApiError { fail, retry_after: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.fail.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, Json(share::ErrorResponse { error: self.fail.reason })).into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The board's routes over `state`.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/join", post(join))
        .route("/api/v1/devices/code", post(device_code))
        .route("/api/v1/devices/join", post(device_join))
        .route("/api/v1/days", put(send))
        .route("/api/v1/data", delete(withdraw))
        .route("/api/v1/membership", delete(leave))
        .route("/api/v1/signin", post(signin))
        .route("/api/v1/me", get(me))
        .route("/api/v1/teams/{team}/board", get(board))
        .route("/api/v1/teams/{team}/review", get(review))
        .route("/signin/{code}", get(use_signin))
        .route("/teams/{team}", get(page))
        .route("/assets/board.js", get(|| async { asset("text/javascript; charset=utf-8", PAGE_JS) }))
        .route("/assets/board.css", get(|| async { asset("text/css; charset=utf-8", PAGE_CSS) }))
        .fallback(|| async { ApiError::from(Fail::not_found("no such route")) })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

fn parse<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> ApiResult<T> {
    let body = body.map_err(|e| {
        let status = e.status().as_u16();
        let reason = if status == 413 {
            format!("the body is over {} bytes", MAX_BODY)
        } else {
            format!("the body could not be read: {e}")
        };
        Fail::new(if (400..500).contains(&status) { status } else { 400 }, reason)
    })?;
    serde_json::from_slice(&body).map_err(|e| Fail::bad(format!("invalid JSON: {e}")).into())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(str::trim)
}

fn limited(state: &State, key: &str) -> ApiResult<()> {
    state.limiter.check(&secret::hash(key)).map_err(|s| ApiError {
        fail: Fail::new(429, format!("too many requests; retry in {s} s")),
        retry_after: Some(s),
    })
}

/// The member and device of the request's bearer token.
async fn caller(state: &State, headers: &HeaderMap) -> ApiResult<Caller> {
    let token =
        bearer(headers).ok_or_else(|| Fail::unauthorized("an Authorization: Bearer token is needed"))?;
    limited(state, token)?;
    Ok(store::authenticate(&state.db, token, state.now()).await?)
}

/// [`caller`], with the caller's team settings read in the same statement.
async fn caller_team(state: &State, headers: &HeaderMap) -> ApiResult<(Caller, store::Team)> {
    let token =
        bearer(headers).ok_or_else(|| Fail::unauthorized("an Authorization: Bearer token is needed"))?;
    limited(state, token)?;
    Ok(store::authenticate_team(&state.db, token, state.now()).await?)
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    for v in headers.get_all(header::COOKIE) {
        for part in v.to_str().ok()?.split(';') {
            if let Some(s) = part.trim().strip_prefix("tw_session=") {
                return Some(s);
            }
        }
    }
    None
}

/// Who looks at a team's figures: a page session, or a member's bearer token.
async fn viewer(state: &State, headers: &HeaderMap) -> ApiResult<Viewer> {
    if bearer(headers).is_some() {
        let c = caller(state, headers).await?;
        return Ok(Viewer { team: c.team, member_id: Some(c.member_id) });
    }
    let s = cookie(headers).ok_or_else(|| Fail::unauthorized("not signed in"))?;
    limited(state, s)?;
    Ok(store::session(&state.db, s, state.now()).await?)
}

/// A team's page and figures exist only for its members (and its admin): anyone else gets 404.
fn of_team(v: &Viewer, team: &str) -> ApiResult<()> {
    if v.team == team {
        Ok(())
    } else {
        Err(Fail::not_found(format!("no team {team}")).into())
    }
}

async fn join(AxState(state): S, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let req: share::JoinRequest = parse(body)?;
    limited(&state, &req.invite)?;
    let r = store::join(&state.db, &req.invite, &req.alias, state.now()).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

async fn device_code(AxState(state): S, headers: HeaderMap) -> ApiResult<Response> {
    let c = caller(&state, &headers).await?;
    let r = store::device_code(&state.db, &c, state.now()).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

async fn device_join(AxState(state): S, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let req: share::DeviceJoinRequest = parse(body)?;
    limited(&state, &req.code)?;
    let r = store::device_join(&state.db, &req.code, state.now()).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

async fn send(
    AxState(state): S,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<share::SendResponse>> {
    let (c, team) = caller_team(&state, &headers).await?;
    let req: share::SendRequest = parse(body)?;
    Ok(Json(store::send_as(&state.db, &state.memory, &c, &team, &req, state.now()).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Range {
    from: Option<String>,
    to: Option<String>,
}

fn query<T: DeserializeOwned>(q: Result<Query<T>, axum::extract::rejection::QueryRejection>) -> ApiResult<T> {
    q.map(|Query(v)| v).map_err(|e| Fail::bad(format!("query: {}", e.body_text())).into())
}

async fn withdraw(
    AxState(state): S,
    headers: HeaderMap,
    q: Result<Query<Range>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<share::WithdrawResponse>> {
    let c = caller(&state, &headers).await?;
    let range = match query(q)? {
        Range { from: None, to: None } => None,
        Range { from: Some(f), to: Some(t) } => Some((f, t)),
        _ => return Err(Fail::bad("give both from and to, or neither").into()),
    };
    let n = store::withdraw(&state.db, &state.memory, &c, range).await?;
    Ok(Json(share::WithdrawResponse { deleted_days: n }))
}

async fn leave(AxState(state): S, headers: HeaderMap) -> ApiResult<Json<share::WithdrawResponse>> {
    let c = caller(&state, &headers).await?;
    let n = store::leave(&state.db, &state.memory, &c.member_id, &c.team, state.now()).await?;
    Ok(Json(share::WithdrawResponse { deleted_days: n }))
}

async fn signin(AxState(state): S, headers: HeaderMap) -> ApiResult<Response> {
    let c = caller(&state, &headers).await?;
    let code = store::signin_link(&state.db, &c.team, Some(&c.member_id), state.now()).await?;
    let r = share::SigninResponse {
        link: format!("/signin/{code}"),
        expires_in_seconds: store::SIGNIN_SECONDS as u64,
    };
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

async fn use_signin(AxState(state): S, Path(code): Path<String>) -> ApiResult<Response> {
    limited(&state, &code)?;
    let (session, team) = store::use_signin(&state.db, &code, state.now()).await?;
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let c = format!(
        "{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        store::SESSION_SECONDS
    );
    let mut r = Redirect::to(&format!("/teams/{team}")).into_response();
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(serde::Serialize)]
struct Me {
    team: String,
    member_id: Option<String>,
    alias: Option<String>,
    admin: bool,
}

async fn me(AxState(state): S, headers: HeaderMap) -> ApiResult<Json<Me>> {
    let v = viewer(&state, &headers).await?;
    let alias = match &v.member_id {
        Some(m) => store::alias(&state.db, m).await?,
        None => None,
    };
    Ok(Json(Me { team: v.team, admin: v.member_id.is_none(), member_id: v.member_id, alias }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardQuery {
    period: Option<String>,
    date: Option<String>,
}

async fn board(
    AxState(state): S,
    headers: HeaderMap,
    Path(team): Path<String>,
    q: Result<Query<BoardQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<share::BoardResponse>> {
    let v = viewer(&state, &headers).await?;
    of_team(&v, &team)?;
    let q = query(q)?;
    let period = match q.period.as_deref() {
        None => Period::Month,
        Some(p) => Period::parse(p).ok_or_else(|| Fail::bad("period is week or month"))?,
    };
    let now = state.now();
    let day = match q.date.as_deref() {
        None => store::utc_day(now),
        Some(d) => share::parse_day(d).ok_or_else(|| Fail::bad("date must be a YYYY-MM-DD date"))?,
    };
    let t = store::team(&state.db, &team).await?;
    store::apply_window(&state.db, &state.memory, &t, now).await?;
    let (from, to) = period.bounds(day);
    let mut b =
        store::board_page(&state.db, &state.memory, &t, period, from, to, v.member_id.as_deref()).await?;
    if v.member_id.is_some() && b.me.is_none() {
        b.me = Some(share::MyFigures::default());
    }
    Ok(Json(b))
}

async fn review(
    AxState(state): S,
    headers: HeaderMap,
    Path(team): Path<String>,
) -> ApiResult<Json<Vec<share::ReviewItem>>> {
    let v = viewer(&state, &headers).await?;
    of_team(&v, &team)?;
    if v.member_id.is_some() {
        return Err(Fail::new(403, "the review list is the admin's").into());
    }
    Ok(Json(store::review(&state.db, &team).await?))
}

async fn page(AxState(state): S, headers: HeaderMap, Path(team): Path<String>) -> ApiResult<Response> {
    let v = viewer(&state, &headers).await?;
    of_team(&v, &team)?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE_HTML).into_response())
}
