//! The board's API over blocking HTTP(S) (ureq, rustls). Every request carries the fixed headers
//! listed in docs/board-api.md; redirects are not followed; answers are read up to 1 MB.

use std::io::Read;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokenworth_share as share;

use crate::Error;

/// Sent as `User-Agent`.
pub const USER_AGENT: &str = concat!("tokenworth/", env!("CARGO_PKG_VERSION"));
const MAX_ANSWER: u64 = 1 << 20;

pub struct Client {
    agent: ureq::Agent,
    pub base: String,
}

/// A raw answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Client {
    /// A client for a board address the client may send to (`check_board_url`).
    pub fn new(board: &str) -> Result<Client, Error> {
        let base = share::check_board_url(board).map_err(|e| Error::Usage(e.0))?;
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .redirects(0)
            .user_agent(USER_AGENT)
            .build();
        Ok(Client { agent, base })
    }

    /// Sends one request; `Err` only when the board could not be reached.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Result<Answer, Error> {
        let url = format!("{}{path}", self.base);
        let mut req = self.agent.request(method, &url).set("Accept", "application/json");
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let result = match body {
            Some(b) => req.set("Content-Type", "application/json").send_string(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => {
                return Err(Error::Unreachable { board: self.base.clone(), reason: transport_reason(&t) })
            }
        };
        let status = resp.status();
        let mut text = String::new();
        let _ = resp.into_reader().take(MAX_ANSWER).read_to_string(&mut text);
        Ok(Answer { status, body: text })
    }

    /// Sends one request and reads a `T` from a 2xx answer; a 4xx becomes `Refused` with the
    /// board's reason, anything else `BadAnswer`.
    pub fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Result<T, Error> {
        let a = self.raw(method, path, token, body)?;
        self.read(method, path, a)
    }

    pub fn read<T: DeserializeOwned>(&self, method: &str, path: &str, a: Answer) -> Result<T, Error> {
        let what = format!("{method} {path}");
        match a.status {
            200..=299 => serde_json::from_str(&a.body).map_err(|_| Error::BadAnswer {
                board: self.base.clone(),
                detail: format!("{what} answered HTTP {} with {}", a.status, excerpt(&a.body)),
            }),
            400..=499 => match serde_json::from_str::<share::ErrorResponse>(&a.body) {
                Ok(e) => Err(Error::Refused { board: self.base.clone(), status: a.status, reason: e.error }),
                Err(_) => Err(Error::BadAnswer {
                    board: self.base.clone(),
                    detail: format!("{what} answered HTTP {} with {}", a.status, excerpt(&a.body)),
                }),
            },
            s => Err(Error::BadAnswer {
                board: self.base.clone(),
                detail: format!("{what} answered HTTP {s} with {}", excerpt(&a.body)),
            }),
        }
    }
}

fn transport_reason(t: &ureq::Transport) -> String {
    // The message names the URL (never a token: tokens only travel in a header).
    let mut s = t.to_string();
    if let Some(src) = std::error::Error::source(t) {
        let src = src.to_string();
        if !s.contains(&src) {
            s = format!("{s}: {src}");
        }
    }
    s
}

/// A short, printable excerpt of an answer body.
pub fn excerpt(body: &str) -> String {
    let t = body.trim();
    if t.is_empty() {
        return "an empty body".into();
    }
    let mut s: String = t.chars().take(120).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if t.chars().count() > 120 {
        s.push('…');
    }
    format!("{s:?}")
}
