//! `tokenworth-board`: a thin shell over the board library (see README, "Team board").

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use tokenworth_board::db::Db;
use tokenworth_board::store::{self, Fail};
use tokenworth_board::{limit, system_clock, State};

#[derive(Parser)]
#[command(name = "tokenworth-board", version, about = "The Tokenworth team board: outcomes, not tokens")]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args)]
struct StoreArgs {
    /// The board's data directory (one SQLite file).
    #[arg(long, global = true, value_name = "DIR", env = "TOKENWORTH_BOARD_DATA")]
    data: Option<PathBuf>,
    /// A PostgreSQL database instead of --data: postgres://user@host:port/db
    #[arg(long, global = true, value_name = "URL", env = "TOKENWORTH_BOARD_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Creates the store and prints the admin token once.
    Init {
        #[arg(long)]
        json: bool,
    },
    /// Serves the board (plain HTTP on loopback by default; TLS with --tls-cert and --tls-key).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        #[arg(long, requires = "tls_key", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        #[arg(long, requires = "tls_cert", value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// Requests one token may make at once.
        #[arg(long, default_value_t = limit::DEFAULT_BURST)]
        rate_burst: u32,
        /// Requests one token may make per minute, sustained.
        #[arg(long, default_value_t = limit::DEFAULT_PER_MINUTE)]
        rate_per_minute: u32,
        /// PostgreSQL connections.
        #[arg(long, default_value_t = 32)]
        pool: usize,
    },
    /// Acts on the store on this machine.
    Admin {
        #[command(subcommand)]
        cmd: AdminCmd,
    },
    /// Writes a consistent copy of a SQLite board (for PostgreSQL use pg_dump; see README).
    Backup {
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Teams: create one, or change its settings.
    Team {
        #[command(subcommand)]
        cmd: TeamCmd,
    },
    /// A single-use invite to a team.
    Invite {
        team: String,
        /// How long it lasts: 14d, 48h, 30m.
        #[arg(long, default_value = "14d")]
        expires: String,
        #[arg(long)]
        json: bool,
    },
    /// The team's members.
    Members {
        team: String,
        #[arg(long)]
        json: bool,
    },
    /// Removes a member (by id or alias) with all their data.
    Remove { team: String, member: String },
    /// Submissions whose plausibility checks want a look.
    Review {
        team: String,
        #[arg(long)]
        json: bool,
    },
    /// A single-use sign-in link for the admin's view of the team's page.
    Link {
        team: String,
        /// The board's address as the browser reaches it.
        #[arg(long, default_value = "http://127.0.0.1:8787")]
        url: String,
    },
}

#[derive(Subcommand)]
enum TeamCmd {
    Create {
        name: String,
        /// The minimum group size k (never below 3).
        #[arg(long)]
        min_group: Option<i64>,
        /// Days kept on the board.
        #[arg(long)]
        window_days: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    Set {
        name: String,
        #[arg(long)]
        min_group: Option<i64>,
        #[arg(long)]
        window_days: Option<i64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokenworth-board: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokenworth-board: {e}");
            ExitCode::from(if (400..500).contains(&e.status) { 2 } else { 1 })
        }
    }
}

fn open(args: &StoreArgs, create: bool, pool: usize) -> Result<Db, Fail> {
    let db = match (&args.data, &args.database_url) {
        (Some(_), Some(_)) => return Err(Fail::bad("give --data or --database-url, not both")),
        (Some(dir), None) => Db::open_sqlite(dir, create),
        (None, Some(url)) => Db::open_postgres(url, pool),
        (None, None) => return Err(Fail::bad("give --data DIR (SQLite) or --database-url URL (PostgreSQL)")),
    };
    db.map_err(|e| Fail::bad(e.to_string()))
}

fn duration(s: &str) -> Result<i64, Fail> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n.parse().map_err(|_| Fail::bad(format!("{s:?}: give a duration like 14d, 48h or 30m")))?;
    let mult = match unit {
        "d" => 86_400,
        "h" => 3600,
        "m" => 60,
        _ => return Err(Fail::bad(format!("{s:?}: give a duration like 14d, 48h or 30m"))),
    };
    Ok(n.saturating_mul(mult))
}

fn print_json(v: &impl serde::Serialize) {
    println!("{}", serde_json::to_string(v).unwrap_or_default());
}

async fn run(cli: Cli) -> Result<(), Fail> {
    let now = system_clock()();
    match cli.cmd {
        Cmd::Init { json } => {
            let db = open(&cli.store, true, 2)?;
            let token = store::init(&db, now).await?;
            if json {
                print_json(&serde_json::json!({ "admin_token": token }));
            } else {
                println!("admin token (shown once; keep it safe): {token}");
            }
        }
        Cmd::Serve { listen, tls_cert, tls_key, rate_burst, rate_per_minute, pool } => {
            let db = open(&cli.store, false, pool)?;
            store::open(&db, now).await?;
            serve(db, listen, tls_cert.zip(tls_key), limit::Limiter::new(rate_burst, rate_per_minute))
                .await?;
        }
        Cmd::Admin { cmd } => {
            let db = open(&cli.store, false, 2)?;
            store::open(&db, now).await?;
            admin(&db, cmd, now).await?;
        }
        Cmd::Backup { output } => {
            let db = open(&cli.store, false, 2)?;
            store::open(&db, now).await?;
            if output.exists() {
                return Err(Fail::bad(format!("{} exists; give a new file", output.display())));
            }
            db.backup_to(&output).await.map_err(|e| Fail::bad(e.to_string()))?;
            println!("backup written to {}", output.display());
        }
    }
    Ok(())
}

async fn admin(db: &Db, cmd: AdminCmd, now: i64) -> Result<(), Fail> {
    let mem = store::Memory::default();
    match cmd {
        AdminCmd::Team { cmd: TeamCmd::Create { name, min_group, window_days, json } } => {
            let t = store::create_team(db, &name, min_group, window_days, now).await?;
            if json {
                print_json(
                    &serde_json::json!({"team": t.name, "min_group": t.min_group, "window_days": t.window_days}),
                );
            } else {
                println!(
                    "team {} created (minimum group {}, window {} days)",
                    t.name, t.min_group, t.window_days
                );
            }
        }
        AdminCmd::Team { cmd: TeamCmd::Set { name, min_group, window_days } } => {
            let t = store::set_team(db, &name, min_group, window_days).await?;
            store::apply_window(db, &mem, &t, now).await?;
            println!("team {}: minimum group {}, window {} days", t.name, t.min_group, t.window_days);
        }
        AdminCmd::Invite { team, expires, json } => {
            let code = store::invite(db, &team, duration(&expires)?, now).await?;
            if json {
                print_json(&serde_json::json!({ "invite": code }));
            } else {
                println!("invite to {team} (single use, expires in {expires}): {code}");
            }
        }
        AdminCmd::Members { team, json } => {
            let rows = store::members(db, &team).await?;
            if json {
                print_json(&rows);
            } else {
                println!("{:<32}  {:<24}  {:>7}  {:>5}  last day", "member", "alias", "devices", "days");
                for r in rows {
                    println!(
                        "{:<32}  {:<24}  {:>7}  {:>5}  {}",
                        r.member_id,
                        r.alias,
                        r.devices,
                        r.days,
                        r.last_day.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        AdminCmd::Remove { team, member } => {
            let n = store::remove(db, &mem, &team, &member, now).await?;
            println!("removed {member} from {team} ({n} days deleted)");
        }
        AdminCmd::Review { team, json } => {
            let items = store::review(db, &team).await?;
            if json {
                print_json(&items);
            } else if items.is_empty() {
                println!("nothing to review in {team}");
            } else {
                for i in items {
                    println!("{}  {} ({})  device {}", i.day, i.alias, i.member_id, i.device_id);
                    for r in i.reasons {
                        println!("    {r}");
                    }
                }
            }
        }
        AdminCmd::Link { team, url } => {
            let code = store::signin_link(db, &team, None, now).await?;
            println!("{}/signin/{code}", url.trim_end_matches('/'));
        }
    }
    Ok(())
}

async fn serve(
    db: Db,
    listen: SocketAddr,
    tls: Option<(PathBuf, PathBuf)>,
    limiter: limit::Limiter,
) -> Result<(), Fail> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let mut state = State::new(db, system_clock());
    state.limiter = limiter;
    state.secure_cookies = tls.is_some();
    let state = Arc::new(state);
    store::apply_windows(&state.db, &state.memory, state.now()).await?;
    // One deadline: each UTC midnight, every team's window moves on a day.
    let windows = state.clone();
    tokio::spawn(async move {
        loop {
            let now = windows.now();
            let next = (store::utc_day(now) + 1) * 86_400;
            tokio::time::sleep(std::time::Duration::from_secs((next - now).max(1) as u64)).await;
            if let Err(e) = store::apply_windows(&windows.db, &windows.memory, windows.now()).await {
                tracing::error!("applying the teams' windows: {e}");
            }
        }
    });
    let app = tokenworth_board::router(state);
    if !listen.ip().is_loopback() && tls.is_none() {
        eprintln!(
            "warning: serving plain HTTP on {listen}; clients refuse http:// boards off loopback. \
             Give --tls-cert and --tls-key, or put a TLS reverse proxy in front (README)."
        );
    }
    match tls {
        None => {
            let l = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| Fail::bad(format!("listening on {listen}: {e}")))?;
            println!("board on http://{}", l.local_addr().map_or(listen, |a| a));
            axum::serve(l, app)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|e| Fail::new(500, format!("serving: {e}")))?;
        }
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let cfg = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(|e| Fail::bad(format!("TLS certificate or key: {e}")))?;
            println!("board on https://{listen}");
            axum_server::bind_rustls(listen, cfg)
                .serve(app.into_make_service())
                .await
                .map_err(|e| Fail::new(500, format!("serving: {e}")))?;
        }
    }
    Ok(())
}
