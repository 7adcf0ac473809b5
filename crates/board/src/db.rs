//! One SQL for both engines.
//!
//! Statements are written once, with PostgreSQL's `$N` placeholders, and rewritten to `?N` for
//! SQLite. Columns are BIGINT or TEXT only, ids are random text made in Rust, and sums are
//! written `CAST(SUM(x) AS BIGINT)` (PostgreSQL's `SUM(bigint)` is NUMERIC), so a row reads back
//! the same from either engine.
//!
//! SQLite has one writer connection (transactions `BEGIN IMMEDIATE`, behind an async mutex)
//! and a small pool of readers, in WAL with `synchronous=NORMAL` and `secure_delete=ON`.
//! Writes are group-committed: each write transaction is a savepoint inside the writer's open
//! transaction, and the last writer in the queue commits for all of them; every writer's
//! [`Tx::commit`] returns only after the COMMIT that holds its changes. A writer that fails rolls
//! back to its savepoint, so it leaves nothing behind and the others go on; if SQLite drops the
//! whole transaction (an I/O error), every writer in it gets [`DbError::Retry`].
//! PostgreSQL uses a connection pool; a transaction dropped before its commit takes its
//! connection out of the pool, so the server rolls it back and nothing half-done is reused.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Int(i64),
    Text(String),
    Null,
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<u64> for Val {
    fn from(v: u64) -> Self {
        Val::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(v.clone())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

impl Val {
    pub fn int(&self) -> i64 {
        match self {
            Val::Int(i) => *i,
            _ => 0,
        }
    }
    pub fn opt_int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn text(&self) -> &str {
        match self {
            Val::Text(s) => s,
            _ => "",
        }
    }
    pub fn into_text(self) -> String {
        match self {
            Val::Text(s) => s,
            _ => String::new(),
        }
    }
}

/// Builds a parameter list: `params![a, b]`.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::db::Val::from($v)),*] };
}

pub type Row = Vec<Val>;

#[derive(Debug)]
pub enum DbError {
    /// A uniqueness constraint refused the row.
    Unique,
    /// PostgreSQL gave up on a transaction (serialization failure or deadlock); retry it.
    Retry,
    Other(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Unique => f.write_str("unique constraint"),
            DbError::Retry => f.write_str("transaction conflict"),
            DbError::Other(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            {
                return DbError::Unique;
            }
        }
        DbError::Other(format!("sqlite: {e}"))
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(code) = e.code() {
            let c = code.code();
            if c == "23505" {
                return DbError::Unique;
            }
            if c == "40001" || c == "40P01" {
                return DbError::Retry;
            }
        }
        DbError::Other(format!("postgres: {e}"))
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::Other(format!("postgres pool: {e}"))
    }
}

pub type DbResult<T> = Result<T, DbError>;

impl ToSql for Val {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(i) => {
                if *ty == Type::INT4 {
                    i32::try_from(*i)?.to_sql(ty, out)
                } else if *ty == Type::INT2 {
                    i16::try_from(*i)?.to_sql(ty, out)
                } else {
                    i.to_sql(ty, out)
                }
            }
            Val::Text(s) => s.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// `$N` placeholders to SQLite's `?N`.
pub fn to_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            in_str = !in_str;
        }
        if c == '$' && !in_str && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn lite_params(params: &[Val]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|v| match v {
            Val::Int(i) => rusqlite::types::Value::Integer(*i),
            Val::Text(s) => rusqlite::types::Value::Text(s.clone()),
            Val::Null => rusqlite::types::Value::Null,
        })
        .collect()
}

fn lite_exec(conn: &rusqlite::Connection, sql: &str, params: &[Val]) -> DbResult<u64> {
    let mut st = conn.prepare_cached(&to_sqlite(sql))?;
    let n = st.execute(rusqlite::params_from_iter(lite_params(params)))?;
    Ok(n as u64)
}

fn lite_query(conn: &rusqlite::Connection, sql: &str, params: &[Val]) -> DbResult<Vec<Row>> {
    let mut st = conn.prepare_cached(&to_sqlite(sql))?;
    let n = st.column_count();
    let mut rows = st.query(rusqlite::params_from_iter(lite_params(params)))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            row.push(match r.get_ref(i)? {
                rusqlite::types::ValueRef::Integer(v) => Val::Int(v),
                rusqlite::types::ValueRef::Real(v) => Val::Int(v as i64),
                rusqlite::types::ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                rusqlite::types::ValueRef::Blob(_) | rusqlite::types::ValueRef::Null => Val::Null,
            });
        }
        out.push(row);
    }
    Ok(out)
}

fn pg_row(r: &tokio_postgres::Row) -> DbResult<Row> {
    let mut row = Vec::with_capacity(r.len());
    for (i, c) in r.columns().iter().enumerate() {
        let t = c.type_();
        let v = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map_or(Val::Null, Val::Int)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map_or(Val::Null, |v| Val::Int(v.into()))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map_or(Val::Null, |v| Val::Int(v.into()))
        } else if *t == Type::TEXT || *t == Type::VARCHAR || *t == Type::NAME {
            r.try_get::<_, Option<String>>(i)?.map_or(Val::Null, Val::Text)
        } else {
            return Err(DbError::Other(format!("column {} has type {t}, not BIGINT or TEXT", c.name())));
        };
        row.push(v);
    }
    Ok(row)
}

fn pg_refs(params: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// Where the board keeps its data.
#[derive(Clone)]
pub enum Db {
    Lite(Arc<Lite>),
    Pg(Pool),
}

pub struct Lite {
    path: PathBuf,
    writer: Arc<tokio::sync::Mutex<Writer>>,
    readers: Mutex<Vec<rusqlite::Connection>>,
    /// Writers waiting for the writer connection (or holding it, before their commit).
    queued: std::sync::atomic::AtomicUsize,
    /// The last batch that was finished (committed or failed).
    finished: tokio::sync::watch::Sender<u64>,
    /// Recent batches whose COMMIT failed.
    failed: Mutex<std::collections::VecDeque<u64>>,
    /// A connection that only asks `PRAGMA data_version` (see [`Db::generation`]).
    watcher: Mutex<Option<rusqlite::Connection>>,
    /// Batches committed and writers in them, for the benchmark.
    batches: std::sync::atomic::AtomicU64,
    jobs: std::sync::atomic::AtomicU64,
    /// Wakes the checkpointer after a commit (a full channel means it is already due to run).
    committed: std::sync::mpsc::SyncSender<()>,
}

/// The writer connection and its open batch (a transaction holding one savepoint per writer).
pub struct Writer {
    conn: rusqlite::Connection,
    /// The batch open now, 0 when none is.
    open: u64,
    /// The last batch number used.
    last: u64,
    /// Writers in the open batch.
    jobs: usize,
}

/// Writers one batch holds at most before it is committed.
const MAX_BATCH: usize = 256;
/// How long a writer waits for others to commit its batch before it commits it itself.
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

impl Lite {
    /// Commits the open batch, if any, and tells its writers.
    fn finish(&self, w: &mut Writer) -> Result<(), rusqlite::Error> {
        if w.open == 0 {
            return Ok(());
        }
        let id = w.open;
        self.batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.jobs.fetch_add(w.jobs as u64, std::sync::atomic::Ordering::Relaxed);
        w.open = 0;
        w.jobs = 0;
        let r = if w.conn.is_autocommit() {
            // SQLite rolled the whole transaction back (an I/O or full-disk error).
            Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the batch's transaction was rolled back".into()),
            ))
        } else {
            let r = w.conn.execute_batch("COMMIT");
            if r.is_ok() {
                let _ = self.committed.try_send(());
            }
            r
        };
        if r.is_err() {
            if !w.conn.is_autocommit() {
                let _ = w.conn.execute_batch("ROLLBACK");
            }
            let mut f = self.failed.lock().unwrap_or_else(|p| p.into_inner());
            f.push_back(id);
            while f.len() > 64 {
                f.pop_front();
            }
        }
        self.finished.send_replace(id);
        r
    }

    fn batch_failed(&self, id: u64) -> bool {
        self.failed.lock().unwrap_or_else(|p| p.into_inner()).contains(&id)
    }

    /// The writer connection with no batch open (for checkpoints and backups).
    async fn idle_writer(&self) -> tokio::sync::MutexGuard<'_, Writer> {
        let mut w = self.writer.lock().await;
        let _ = self.finish(&mut w);
        w
    }

    /// Ends a writer's savepoint (released, or rolled back when `keep` is false) and commits
    /// the batch when no other writer is queued to go on with it. Returns the batch number and
    /// whether it was committed here.
    fn end_job(&self, w: &mut Writer, keep: bool) -> Result<(u64, bool), DbError> {
        let id = w.open;
        let mut err = None;
        if keep {
            if let Err(e) = w.conn.execute_batch("RELEASE job") {
                err = Some(DbError::from(e));
            }
        }
        if (!keep || err.is_some()) && !w.conn.is_autocommit() {
            let _ = w.conn.execute_batch("ROLLBACK TO job; RELEASE job");
        }
        let queued = self.queued.load(std::sync::atomic::Ordering::SeqCst);
        let commit_now = queued == 0 || w.jobs >= MAX_BATCH || w.conn.is_autocommit();
        if commit_now {
            let r = self.finish(w);
            if let Some(e) = err {
                return Err(e);
            }
            if r.is_err() {
                tracing::error!("sqlite: COMMIT of a batch failed: {r:?}");
                return Err(DbError::Retry);
            }
            return Ok((id, true));
        }
        match err {
            Some(e) => Err(e),
            None => Ok((id, false)),
        }
    }

    /// Waits until batch `id` is finished (committing it after [`BATCH_WAIT`] if nobody has).
    async fn wait_commit(&self, id: u64) -> DbResult<()> {
        let mut rx = self.finished.subscribe();
        let done = tokio::time::timeout(BATCH_WAIT, rx.wait_for(|b| *b >= id)).await.is_ok();
        if !done {
            let mut w = self.writer.lock().await;
            if w.open == id {
                let _ = self.finish(&mut w);
            }
        }
        if self.batch_failed(id) {
            return Err(DbError::Retry);
        }
        Ok(())
    }
}

/// Counts a writer in the queue while it exists.
struct Queued<'a>(&'a std::sync::atomic::AtomicUsize);
impl<'a> Queued<'a> {
    fn new(n: &'a std::sync::atomic::AtomicUsize) -> Queued<'a> {
        n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Queued(n)
    }
}
impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The SQLite file inside a data directory.
pub fn sqlite_path(dir: &Path) -> PathBuf {
    dir.join("board.sqlite")
}

fn open_lite(path: &Path, write: bool) -> DbResult<rusqlite::Connection> {
    let flags = if write {
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = rusqlite::Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Savepoints' journals and sorts in memory; pages read through a shared mapping of the file
    // rather than copied in by read() (SQLite caps the size at its compile-time limit).
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
    if write {
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(DbError::Other(format!("{}: journal mode {mode}, not WAL", path.display())));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
        // The checkpointer thread copies the WAL into the file; the writer does it itself only
        // when that thread falls far behind.
        conn.pragma_update(None, "wal_autocheckpoint", 20_000)?;
    } else {
        conn.pragma_update(None, "query_only", "ON")?;
    }
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

const MMAP_SIZE: i64 = 2 * 1024 * 1024 * 1024;
/// The writer's page cache, as SQLite's negative cache_size (KiB).
const WRITER_CACHE_KIB: i64 = -256 * 1024;
/// Copies the WAL into the database file from its own connection and thread (PASSIVE: it never
/// blocks the writer or the readers), so that commits do not wait on a checkpoint's writes and
/// fsync. It runs when a commit wakes it (commits that land while it works are taken by its next
/// run), never on a timer, and stops when the store is dropped (the channel closes).
fn start_checkpointer(path: &Path, wake: std::sync::mpsc::Receiver<()>) -> DbResult<()> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut last_err = String::new();
            while wake.recv().is_ok() {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    let e = e.to_string();
                    if e != last_err {
                        tracing::warn!("sqlite: checkpoint: {e}");
                        last_err = e;
                    }
                }
            }
        })
        .map_err(|e| DbError::Other(format!("checkpoint thread: {e}")))?;
    Ok(())
}

impl Db {
    /// Opens (creating when `create`) the SQLite store in `dir`.
    pub fn open_sqlite(dir: &Path, create: bool) -> DbResult<Db> {
        let path = sqlite_path(dir);
        if !create && !path.exists() {
            return Err(DbError::Other(format!(
                "no board store at {} (run `tokenworth-board init --data {}` first)",
                path.display(),
                dir.display()
            )));
        }
        if create {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Other(format!("{}: {e}", dir.display())))?;
        }
        let conn = open_lite(&path, true)?;
        let (committed, wake) = std::sync::mpsc::sync_channel(1);
        start_checkpointer(&path, wake)?;
        let lite = Arc::new(Lite {
            path,
            writer: Arc::new(tokio::sync::Mutex::new(Writer { conn, open: 0, last: 0, jobs: 0 })),
            readers: Mutex::new(Vec::new()),
            queued: std::sync::atomic::AtomicUsize::new(0),
            finished: tokio::sync::watch::channel(0).0,
            failed: Mutex::new(std::collections::VecDeque::new()),
            watcher: Mutex::new(None),
            batches: std::sync::atomic::AtomicU64::new(0),
            jobs: std::sync::atomic::AtomicU64::new(0),
            committed,
        });
        Ok(Db::Lite(lite))
    }

    /// Connects to PostgreSQL.
    pub fn open_postgres(url: &str, pool_size: usize) -> DbResult<Db> {
        let cfg: tokio_postgres::Config =
            url.parse().map_err(|e| DbError::Other(format!("database url: {e}")))?;
        let mgr = Manager::from_config(
            cfg,
            tokio_postgres::NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(mgr)
            .max_size(pool_size)
            .build()
            .map_err(|e| DbError::Other(format!("postgres pool: {e}")))?;
        Ok(Db::Pg(pool))
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Db::Lite(_) => "sqlite",
            Db::Pg(_) => "postgres",
        }
    }

    /// A value that changes whenever anything was committed to the store, by this process or
    /// another (the admin CLI): read it before reading data, and the data read then is current
    /// for as long as the value stays the same. SQLite: `PRAGMA data_version` of a connection
    /// that never writes (it changes with every commit of any other connection). PostgreSQL:
    /// the current snapshot (`pg_current_snapshot()`), which is the same only while no
    /// transaction that writes has started or ended.
    pub async fn generation(&self) -> DbResult<String> {
        match self {
            Db::Lite(l) => {
                let mut w = l.watcher.lock().unwrap_or_else(|p| p.into_inner());
                if w.is_none() {
                    *w = Some(open_lite(&l.path, false)?);
                }
                let v: i64 =
                    w.as_ref().expect("opened").query_row("PRAGMA data_version", [], |r| r.get(0))?;
                Ok(v.to_string())
            }
            Db::Pg(p) => {
                let c = p.get().await?;
                let st = c.prepare_cached("SELECT CAST(pg_current_snapshot() AS TEXT)").await?;
                let row = c.query_one(&st, &[]).await?;
                Ok(row.try_get::<_, String>(0)?)
            }
        }
    }

    /// SQLite: the write batches committed so far and the writers they held.
    pub fn write_batches(&self) -> Option<(u64, u64)> {
        match self {
            Db::Lite(l) => Some((
                l.batches.load(std::sync::atomic::Ordering::Relaxed),
                l.jobs.load(std::sync::atomic::Ordering::Relaxed),
            )),
            Db::Pg(_) => None,
        }
    }

    /// The SQLite file, when there is one.
    pub fn sqlite_file(&self) -> Option<&Path> {
        match self {
            Db::Lite(l) => Some(&l.path),
            Db::Pg(_) => None,
        }
    }

    /// A write transaction.
    pub async fn write(&self) -> DbResult<Tx> {
        match self {
            Db::Lite(l) => {
                let mut w = {
                    let _q = Queued::new(&l.queued);
                    l.writer.clone().lock_owned().await
                };
                if w.open == 0 {
                    w.conn.execute_batch("BEGIN IMMEDIATE")?;
                    w.last += 1;
                    w.open = w.last;
                }
                if let Err(e) = w.conn.execute_batch("SAVEPOINT job") {
                    let _ = l.finish(&mut w);
                    return Err(e.into());
                }
                w.jobs += 1;
                Ok(Tx { inner: Inner::LiteWrite(Some(w), l.clone()), done: false })
            }
            Db::Pg(p) => {
                // BEGIN goes out with the first statement (one round trip fewer).
                let c = p.get().await?;
                Ok(Tx { inner: Inner::Pg(Some(c), Some("BEGIN")), done: false })
            }
        }
    }

    /// One read-only statement on its own (one snapshot, no transaction around it).
    pub async fn read_one(&self, sql: &str, params: &[Val]) -> DbResult<Vec<Row>> {
        match self {
            Db::Lite(l) => {
                let pooled = l.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
                let conn = match pooled {
                    Some(c) => c,
                    None => open_lite(&l.path, false)?,
                };
                let r = lite_query(&conn, sql, params);
                l.readers.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
                r
            }
            Db::Pg(p) => {
                let c = p.get().await?;
                let st = c.prepare_cached(sql).await?;
                let rows = c.query(&st, &pg_refs(params)).await?;
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// A read-only transaction (one snapshot).
    pub async fn read(&self) -> DbResult<Tx> {
        match self {
            Db::Lite(l) => {
                let pooled = l.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
                let conn = match pooled {
                    Some(c) => c,
                    None => open_lite(&l.path, false)?,
                };
                conn.execute_batch("BEGIN")?;
                Ok(Tx { inner: Inner::LiteRead(Some(conn), l.clone()), done: false })
            }
            Db::Pg(p) => {
                let c = p.get().await?;
                Ok(Tx {
                    inner: Inner::Pg(Some(c), Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")),
                    done: false,
                })
            }
        }
    }

    /// After data was deleted: on SQLite, copies the WAL into the file and truncates it, so
    /// deleted rows cannot be read back from the WAL (the file's pages were zeroed by
    /// `secure_delete`). PostgreSQL needs nothing here (see README on vacuum).
    pub async fn scrub(&self) -> DbResult<()> {
        if let Db::Lite(l) = self {
            let w = l.idle_writer().await;
            // The checkpoint reports "busy" (it could not copy and truncate everything) while
            // another connection, the checkpointer's or a reader's, is in the WAL: try again
            // until it has done all of it, so no deleted row is left readable in the WAL.
            for attempt in 0..200 {
                let busy: i64 = w.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
                if busy == 0 {
                    return Ok(());
                }
                if attempt == 199 {
                    return Err(DbError::Retry);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        Ok(())
    }

    /// A consistent copy of the SQLite store in `out` (SQLite's online backup).
    pub async fn backup_to(&self, out: &Path) -> DbResult<()> {
        match self {
            Db::Lite(l) => {
                let w = l.idle_writer().await;
                w.conn.backup(rusqlite::MAIN_DB, out, None::<fn(rusqlite::backup::Progress)>)?;
                Ok(())
            }
            Db::Pg(_) => Err(DbError::Other("backup of a PostgreSQL board: use pg_dump (see README)".into())),
        }
    }
}

enum Inner {
    LiteWrite(Option<tokio::sync::OwnedMutexGuard<Writer>>, Arc<Lite>),
    LiteRead(Option<rusqlite::Connection>, Arc<Lite>),
    /// The connection, and the BEGIN not sent yet (it goes out with the first statement).
    Pg(Option<deadpool_postgres::Object>, Option<&'static str>),
}

/// Runs `begin` (when not sent yet) and the statements on `c`, pipelined: one round trip.
async fn pg_run(
    c: &deadpool_postgres::Object,
    begin: &mut Option<&'static str>,
    stmts: &[(&str, &[Val])],
) -> DbResult<Vec<Vec<Row>>> {
    let mut prepared = Vec::with_capacity(stmts.len());
    for (sql, _) in stmts {
        prepared.push(c.prepare_cached(sql).await?);
    }
    let b = begin.take();
    let begin_fut = async {
        match b {
            Some(sql) => c.batch_execute(sql).await,
            None => Ok(()),
        }
    };
    let refs: Vec<Vec<&(dyn ToSql + Sync)>> = stmts.iter().map(|(_, p)| pg_refs(p)).collect();
    let queries = futures_util::future::try_join_all(
        prepared.iter().zip(refs.iter()).map(|(st, p)| c.query(st, p.as_slice())),
    );
    let (_, results) = futures_util::future::try_join(begin_fut, queries).await?;
    results.iter().map(|rows| rows.iter().map(pg_row).collect::<DbResult<Vec<Row>>>()).collect()
}

/// A transaction on either engine; dropped without [`Tx::commit`] it is rolled back.
pub struct Tx {
    inner: Inner,
    done: bool,
}

impl Tx {
    pub async fn exec(&mut self, sql: &str, params: &[Val]) -> DbResult<u64> {
        match &mut self.inner {
            Inner::LiteWrite(w, _) => lite_exec(&w.as_ref().expect("open").conn, sql, params),
            Inner::LiteRead(c, _) => lite_exec(c.as_ref().expect("open"), sql, params),
            Inner::Pg(c, begin) => {
                let c = c.as_ref().expect("open");
                if let Some(b) = begin.take() {
                    c.batch_execute(b).await?;
                }
                let st = c.prepare_cached(sql).await?;
                Ok(c.execute(&st, &pg_refs(params)).await?)
            }
        }
    }

    pub async fn query(&mut self, sql: &str, params: &[Val]) -> DbResult<Vec<Row>> {
        match &mut self.inner {
            Inner::LiteWrite(w, _) => lite_query(&w.as_ref().expect("open").conn, sql, params),
            Inner::LiteRead(c, _) => lite_query(c.as_ref().expect("open"), sql, params),
            Inner::Pg(c, begin) => {
                let c = c.as_ref().expect("open");
                let mut r = pg_run(c, begin, &[(sql, params)]).await?;
                Ok(r.pop().unwrap_or_default())
            }
        }
    }

    /// Runs statements in order; the rows of each. On PostgreSQL they go out pipelined (one
    /// round trip for all), so no statement may depend on the rows of an earlier one.
    pub async fn run(&mut self, stmts: &[(&str, &[Val])]) -> DbResult<Vec<Vec<Row>>> {
        match &mut self.inner {
            Inner::Pg(c, begin) => pg_run(c.as_ref().expect("open"), begin, stmts).await,
            _ => {
                let mut out = Vec::with_capacity(stmts.len());
                for (sql, params) in stmts {
                    out.push(self.query(sql, params).await?);
                }
                Ok(out)
            }
        }
    }

    pub async fn query_one(&mut self, sql: &str, params: &[Val]) -> DbResult<Option<Row>> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    /// Runs several statements without parameters (migrations).
    pub async fn batch(&mut self, sql: &str) -> DbResult<()> {
        match &mut self.inner {
            Inner::LiteWrite(w, _) => Ok(w.as_ref().expect("open").conn.execute_batch(sql)?),
            Inner::LiteRead(..) => Err(DbError::Other("batch in a read transaction".into())),
            Inner::Pg(c, begin) => {
                let c = c.as_ref().expect("open");
                if let Some(b) = begin.take() {
                    c.batch_execute(b).await?;
                }
                Ok(c.batch_execute(sql).await?)
            }
        }
    }

    pub async fn commit(mut self) -> DbResult<()> {
        self.done = true;
        match &mut self.inner {
            Inner::LiteWrite(w, lite) => {
                let mut w = w.take().expect("open");
                let (id, committed) = lite.end_job(&mut w, true)?;
                drop(w);
                if !committed {
                    lite.wait_commit(id).await?;
                }
                Ok(())
            }
            Inner::LiteRead(c, lite) => {
                if let Some(conn) = c.take() {
                    conn.execute_batch("COMMIT")?;
                    lite.readers.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
                }
                Ok(())
            }
            Inner::Pg(c, begin) => {
                if begin.is_some() {
                    // Nothing was sent: there is no transaction to commit.
                    return Ok(());
                }
                let r = c.as_ref().expect("open").batch_execute("COMMIT").await;
                if r.is_err() {
                    if let Some(obj) = c.take() {
                        drop(deadpool_postgres::Object::take(obj));
                    }
                }
                Ok(r?)
            }
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        match &mut self.inner {
            Inner::LiteWrite(w, lite) => {
                if let Some(mut w) = w.take() {
                    let _ = lite.end_job(&mut w, false);
                }
            }
            Inner::LiteRead(c, lite) => {
                if let Some(conn) = c.take() {
                    if conn.execute_batch("ROLLBACK").is_ok() {
                        lite.readers.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
                    }
                }
            }
            Inner::Pg(c, begin) => {
                if begin.is_some() {
                    // Nothing was sent: the connection goes back to the pool as it was.
                    return;
                }
                // The connection still holds an open transaction: close it rather than
                // return it to the pool; the server rolls the transaction back.
                if let Some(obj) = c.take() {
                    drop(deadpool_postgres::Object::take(obj));
                }
            }
        }
    }
}

/// The numbered migrations, applied in order, each in its own transaction.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_web.sql")),
    (3, include_str!("../migrations/0003_page_indexes.sql")),
];

/// The schema version of the store (0 when empty).
pub async fn version(db: &Db) -> DbResult<i64> {
    let mut tx = db.write().await?;
    tx.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, \
         applied_at BIGINT NOT NULL)",
    )
    .await?;
    let v = tx
        .query_one("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations", &[])
        .await?
        .map_or(0, |r| r[0].int());
    tx.commit().await?;
    Ok(v)
}

/// Applies the migrations after the store's version, up to `target`.
pub async fn migrate_to(db: &Db, target: i64, now: i64) -> DbResult<i64> {
    let mut at = version(db).await?;
    for (v, sql) in MIGRATIONS {
        if *v <= at || *v > target {
            continue;
        }
        let mut tx = db.write().await?;
        tx.batch(sql).await?;
        tx.exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", params![*v, now])
            .await?;
        tx.commit().await?;
        at = *v;
    }
    Ok(at)
}

/// Applies every migration.
pub async fn migrate(db: &Db, now: i64) -> DbResult<i64> {
    migrate_to(db, i64::MAX, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_outside_strings() {
        assert_eq!(to_sqlite("SELECT $1, '$2', $10"), "SELECT ?1, '$2', ?10");
    }
}
