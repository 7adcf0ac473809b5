//! The Tokenworth team board: a self-hosted server that holds only the day aggregates members
//! chose to send, ranks outcomes rather than tokens, hides any figure that could single out a
//! person, and forgets a member who withdraws.
//!
//! The crate knows nothing of Tauri or of the local ledger; the shapes it accepts are in
//! `tokenworth-share`, which the client uses too.
//!
//! - [`db`]: one SQL for SQLite and PostgreSQL, migrations;
//! - [`store`]: the operations (teams, invites, members, devices, sends, withdrawals, sign-in);
//! - [`stats`]: the page's figures and the privacy rules;
//! - [`api`]: the HTTP routes ([`router`]);
//! - [`limit`]: the per-token rate limit.

pub mod api;
pub mod db;
pub mod limit;
pub mod secret;
pub mod stats;
pub mod store;

use std::sync::Arc;

pub use api::router;

/// The time now as unix seconds; passed in so tests can pin it.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
    })
}

/// Everything a request handler needs.
pub struct State {
    pub db: db::Db,
    pub memory: store::Memory,
    pub clock: Clock,
    pub limiter: limit::Limiter,
    /// Page cookies get `Secure` (the server speaks TLS).
    pub secure_cookies: bool,
}

impl State {
    pub fn new(db: db::Db, clock: Clock) -> State {
        State {
            db,
            memory: store::Memory::default(),
            clock,
            limiter: limit::Limiter::new(limit::DEFAULT_BURST, limit::DEFAULT_PER_MINUTE),
            secure_cookies: false,
        }
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}
