//! `tokenworth share …`: a thin shell over `tokenworth-sharing`. Only these commands open a
//! network socket, and only once this machine joined a board.

use std::io::Write;

use clap::Subcommand;
use tokenworth_core::config::{self, DataDir};
use tokenworth_core::outcomes;
use tokenworth_core::report::Pricer;
use tokenworth_core::store::Store;
use tokenworth_core::Env;
use tokenworth_sharing::{self as sharing, FieldChanges, Sharing};

use crate::{render, Opts, UsageError};

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct ShareArgs {
    #[command(subcommand)]
    action: ShareAction,
}

fn on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("'{s}': use on or off")),
    }
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
enum ShareAction {
    /// Join a team board with an invite (a new member), or with a device code from
    /// `share add-device` (another machine of the same member).
    Join {
        /// The board's address: https://…, or http:// on this machine only.
        url: String,
        #[arg(value_name = "INVITE_OR_DEVICE_CODE")]
        code: String,
        /// How the admin sees you (default: a random two-word alias).
        #[arg(long)]
        name: Option<String>,
    },
    /// Print a single-use code that joins another machine as a device of this member.
    AddDevice,
    /// Print exactly the request bodies `share send` would send, one JSON document per line.
    Preview,
    /// Send the days whose figures changed since they were last sent.
    Send,
    /// Delete what this member sent (every day, or --since/--until) from every device.
    Withdraw,
    /// Withdraw everything, end the membership and forget the token.
    Leave,
    /// Whether sharing is on, with which board, what is shared, the last send, queued days.
    Status,
    /// The audit log: every request that sent or deleted figures, with its exact payload.
    Log,
    /// Open the team's board page in the browser, signed in.
    Open,
    /// Daily auto-send from the tray app: on or off.
    Auto {
        // `Set`: a bool field is a flag (`SetTrue`) unless told otherwise, and a positional
        // flag is refused by clap (a panic in debug builds).
        #[arg(value_parser = on_off, value_name = "on|off", action = clap::ArgAction::Set)]
        on: bool,
    },
    /// Choose what is shared beside the day's totals and cost.
    Fields {
        #[arg(long, value_parser = on_off, value_name = "on|off")]
        outcomes: Option<bool>,
        #[arg(long, value_parser = on_off, value_name = "on|off")]
        tools: Option<bool>,
        #[arg(long, value_parser = on_off, value_name = "on|off")]
        models: Option<bool>,
        #[arg(long, value_parser = on_off, value_name = "on|off")]
        commits: Option<bool>,
        /// Send nothing of this project (its directory, or its last path component).
        #[arg(long, value_name = "P")]
        exclude_project: Vec<String>,
        /// Share this project again.
        #[arg(long, value_name = "P")]
        include_project: Vec<String>,
    },
}

fn lift(e: sharing::Error) -> anyhow::Error {
    match e {
        sharing::Error::Usage(s) => UsageError(s).into(),
        sharing::Error::Store(s) => s.into(),
        e => anyhow::anyhow!("{e}"),
    }
}

fn plural(n: u64, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

fn shared_list(f: &sharing::Fields) -> String {
    let mut v = vec!["day totals and cost"];
    if f.outcomes {
        v.push("outcomes");
    }
    if f.tools {
        v.push("per tool");
    }
    if f.models {
        v.push("per model");
    }
    if f.commits && f.outcomes {
        v.push("commit counts");
    }
    v.join(", ")
}

pub fn run(data: &DataDir, env: &Env, args: &ShareArgs, o: &Opts, now_ms: i64) -> anyhow::Result<()> {
    let use_keyring = !matches!(
        env.var("TOKENWORTH_KEYRING").map(str::to_ascii_lowercase).as_deref(),
        Some("off" | "0" | "no" | "false")
    );
    let sh = Sharing::new(&data.root, use_keyring);
    let mut out = std::io::stdout().lock();
    let json = o.json;
    match &args.action {
        ShareAction::Join { url, code, name } => {
            let j = sh.join(url, code, name.as_deref(), now_ms).map_err(lift)?;
            if let Some(n) = &j.token_note {
                let _ = writeln!(std::io::stderr(), "tokenworth: note: {n}");
            }
            if json {
                render::json(&mut out, &serde_json::to_value(&j)?)?;
            } else {
                let how = if j.device { "a new device of" } else { "member" };
                writeln!(out, "joined team {} on {} as {how} {}", j.team, j.board, j.alias)?;
                writeln!(out, "shared: {}", shared_list(&sharing::Fields::default()))?;
                writeln!(out, "nothing is sent until `tokenworth share send`; `tokenworth share preview` shows what it sends")?;
            }
        }
        ShareAction::AddDevice => {
            let c = sh.add_device().map_err(lift)?;
            if json {
                render::json(&mut out, &serde_json::to_value(&c)?)?;
            } else {
                writeln!(out, "{}", c.code)?;
                writeln!(
                    out,
                    "single use, valid {} minutes: on the other machine run `tokenworth share join <board> {}`",
                    c.expires_in_seconds / 60,
                    c.code
                )?;
            }
        }
        ShareAction::Preview | ShareAction::Send | ShareAction::Status => {
            let settings = sh.settings().map_err(lift)?;
            let Some(s) = settings else {
                if args.action == ShareAction::Status {
                    return status_out(&mut out, &sh.status(None).map_err(lift)?, json);
                }
                return Err(lift(sharing::Error::Usage(
                    "sharing is off: join a board first with `tokenworth share join URL INVITE`".into(),
                )));
            };
            let mut store = Store::open(&data.db())?;
            if !o.no_scan {
                let settings = data.source_settings(env)?;
                let day_zone = config::effective_tz_checked(None, data, env).ok().map(|(tz, _)| tz);
                let r = crate::scan(&mut store, env, &settings.enabled(), now_ms, day_zone)?;
                for w in &r.warnings {
                    let _ = writeln!(std::io::stderr(), "tokenworth: warning: {w}");
                }
                if s.fields.outcomes {
                    let link = outcomes::link_commits(&store, env, now_ms)?;
                    for w in &link.warnings {
                        let _ = writeln!(std::io::stderr(), "tokenworth: warning: {w}");
                    }
                }
            }
            let loaded = data.load_price_table()?;
            if let Some(w) = &loaded.warning {
                let _ = writeln!(std::io::stderr(), "tokenworth: warning: {w}");
            }
            let pricer = Pricer::new(&loaded.table);
            let tz = config::effective_tz(o.timezone, data, env)?;
            match args.action {
                ShareAction::Preview => {
                    let plan = sh.plan(&s, &store, &pricer, tz, now_ms, (o.since, o.until)).map_err(lift)?;
                    for (body, _) in &plan.bodies {
                        out.write_all(body.as_bytes())?;
                        out.write_all(b"\n")?;
                    }
                    if plan.bodies.is_empty() {
                        let _ = writeln!(
                            std::io::stderr(),
                            "tokenworth: nothing to send ({} unchanged since last sent)",
                            plural(plan.unchanged, "day")
                        );
                    }
                }
                ShareAction::Send => {
                    let r = sh.send(&store, &pricer, tz, now_ms).map_err(lift)?;
                    if json {
                        render::json(&mut out, &serde_json::to_value(r)?)?;
                    } else {
                        writeln!(
                            out,
                            "sent {} to {} ({} unchanged)",
                            plural(r.sent, "day"),
                            s.board,
                            plural(r.unchanged, "day")
                        )?;
                    }
                }
                _ => {
                    let plan = sh.plan(&s, &store, &pricer, tz, now_ms, (None, None)).map_err(lift)?;
                    return status_out(&mut out, &sh.status(Some(&plan)).map_err(lift)?, json);
                }
            }
        }
        ShareAction::Withdraw => {
            let (n, was_auto) = sh.withdraw(o.since, o.until, now_ms).map_err(lift)?;
            if json {
                render::json(&mut out, &serde_json::json!({ "deleted": n }))?;
            } else {
                writeln!(
                    out,
                    "deleted {} from the board (every device); the membership stays",
                    plural(n, "day row")
                )?;
                if was_auto {
                    writeln!(out, "auto-send is now off, so they are not sent again; `tokenworth share auto on` turns it back on")?;
                }
            }
        }
        ShareAction::Leave => {
            let n = sh.leave(now_ms).map_err(lift)?;
            if json {
                render::json(&mut out, &serde_json::json!({ "deleted": n }))?;
            } else {
                writeln!(
                    out,
                    "left the board: deleted {}, the membership and this device's token",
                    plural(n, "day row")
                )?;
            }
        }
        ShareAction::Log => {
            let entries = sh.log().map_err(lift)?;
            for e in entries {
                if json {
                    writeln!(out, "{}", serde_json::to_string(&e)?)?;
                } else {
                    let status = if e.status == 0 { "unreachable".to_string() } else { e.status.to_string() };
                    writeln!(out, "{}  {}  {}  {}", e.time, status, e.request, e.board)?;
                    if !e.payload.is_empty() {
                        writeln!(out, "{}", e.payload)?;
                    }
                }
            }
        }
        ShareAction::Open => {
            let url = sh.signin_url().map_err(lift)?;
            let browser = env.var("BROWSER");
            if sharing::open_in_browser(&url, browser) {
                writeln!(out, "opened the team's board in the browser (the sign-in link is single use)")?;
            } else {
                writeln!(out, "no browser could be started; open this single-use link (valid 2 minutes):")?;
                writeln!(out, "{url}")?;
            }
        }
        ShareAction::Auto { on } => {
            sh.set_auto(*on).map_err(lift)?;
            if json {
                render::json(&mut out, &serde_json::json!({ "auto": on }))?;
            } else {
                writeln!(out, "daily auto-send from the tray app is {}", if *on { "on" } else { "off" })?;
            }
        }
        ShareAction::Fields { outcomes, tools, models, commits, exclude_project, include_project } => {
            let s = sh
                .set_fields(&FieldChanges {
                    outcomes: *outcomes,
                    tools: *tools,
                    models: *models,
                    commits: *commits,
                    exclude: exclude_project.clone(),
                    include: include_project.clone(),
                })
                .map_err(lift)?;
            let st = sh.status(None).map_err(lift)?;
            if json {
                let j = st.joined.as_ref();
                render::json(
                    &mut out,
                    &serde_json::json!({
                        "shared": j.map(|j| j.shared),
                        "excluded_projects": s.excluded_projects,
                    }),
                )?;
            } else {
                writeln!(out, "shared: {}", shared_list(&s.fields))?;
                if s.fields.commits && !s.fields.outcomes {
                    writeln!(out, "commit counts travel with outcomes: turn outcomes on to share them")?;
                }
                if !s.excluded_projects.is_empty() {
                    writeln!(out, "not shared at all: {}", s.excluded_projects.join(", "))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn status_out(out: &mut impl Write, st: &sharing::Status, json: bool) -> anyhow::Result<()> {
    if json {
        render::json(out, &serde_json::to_value(st)?)?;
        return Ok(out.flush()?);
    }
    let Some(j) = &st.joined else {
        writeln!(
            out,
            "sharing  off (nothing leaves this machine; `tokenworth share join URL INVITE` turns it on)"
        )?;
        return Ok(out.flush()?);
    };
    let f = sharing::Fields {
        outcomes: j.shared.outcomes,
        tools: j.shared.tools,
        models: j.shared.models,
        commits: j.shared.commits,
    };
    writeln!(out, "sharing  on")?;
    writeln!(out, "board    {}", j.board)?;
    writeln!(out, "team     {} (as {})", j.team, j.alias)?;
    writeln!(out, "device   {} (token in the {})", j.device_id, j.token_store.as_str())?;
    writeln!(out, "shared   {}", shared_list(&f))?;
    if !j.excluded_projects.is_empty() {
        writeln!(out, "excluded {}", j.excluded_projects.join(", "))?;
    }
    writeln!(out, "auto     {}", if j.auto { "on" } else { "off" })?;
    match &j.last_send {
        Some(l) => writeln!(out, "last     {} ({}, {})", l.time, l.status, plural(l.days, "day"))?,
        None => writeln!(out, "last     never sent")?,
    }
    writeln!(out, "queued   {} (sent {})", plural(j.queued_days, "day"), plural(j.sent_days, "day"))?;
    Ok(out.flush()?)
}
