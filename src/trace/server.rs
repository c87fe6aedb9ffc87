//! Where `migcheck trace` runs migrations: a temporary cluster (downloaded binaries of a major,
//! or `--postgres-bin DIR`) on a loopback port in a temp directory, removed afterwards; or a
//! database of its own (`migcheck_trace_<random>`) created on `--database-url` and dropped
//! afterwards. migcheck never changes a database it did not create.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use postgres::{Client, Config, NoTls};

pub use crate::stats_db::chain;

/// A database to trace on, and how to get rid of it.
pub struct Target {
    /// Connection settings of the scratch database.
    pub config: Config,
    /// What it is, for the report (passwords never appear).
    pub description: String,
    /// `server_version` as the server reports it.
    pub server_version: String,
    pub major: u16,
    /// The session TimeZone the migrations run with.
    pub timezone: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Cluster(Cluster),
    Database { admin: Box<Config>, name: String },
}

struct Cluster {
    dir: PathBuf,
    child: Child,
}

impl Drop for Target {
    fn drop(&mut self) {
        match &mut self.cleanup {
            Cleanup::Cluster(c) => c.stop(),
            Cleanup::Database { admin, name } => {
                if let Ok(mut c) = crate::tls::connector()
                    .and_then(|t| admin.connect(t).map_err(|e| e.to_string()))
                {
                    let _ = c.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = $1 AND pid <> pg_backend_pid()",
                        &[&name.as_str()],
                    );
                    let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {}", ident(name)));
                }
            }
        }
    }
}

impl Cluster {
    /// Stops the server and removes its directory.
    fn stop(&mut self) {
        self.stop_server();
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// Stops the server, keeping its directory.
    fn stop_server(&mut self) {
        // SIGINT is PostgreSQL's "fast" shutdown: sessions are ended, no recovery needed
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

/// A PostgreSQL identifier, quoted.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The URL with its password replaced by `***` (URL and key=value forms).
pub fn redact(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            let userinfo = &rest[..at];
            if let Some(colon) = userinfo.find(':') {
                return format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &rest[at..]
                );
            }
        }
        // password=... as a query parameter
        if let Some(q) = url.find('?') {
            let params: Vec<String> = url[q + 1..]
                .split('&')
                .map(|p| {
                    if p.to_ascii_lowercase().starts_with("password=") {
                        "password=***".to_string()
                    } else {
                        p.to_string()
                    }
                })
                .collect();
            return format!("{}?{}", &url[..q], params.join("&"));
        }
        return url.to_string();
    }
    url.split_whitespace()
        .map(|kv| {
            if kv.to_ascii_lowercase().starts_with("password=") {
                "password=***".to_string()
            } else {
                kv.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// A database of our own on a server the user gave.
pub fn on_database(url: &str) -> Result<Target, String> {
    let shown = redact(url);
    let admin: Config = url
        .parse()
        .map_err(|e| format!("--database-url {shown}: {}", chain(&e)))?;
    let mut c = admin
        .connect(crate::tls::connector()?)
        .map_err(|e| format!("cannot connect to {shown}: {}", chain(&e)))?;
    let name = format!("migcheck_trace_{}", random_suffix());
    c.batch_execute(&format!("CREATE DATABASE {}", ident(&name)))
        .map_err(|e| {
            format!(
                "cannot create the scratch database {name} on {shown} (the role needs CREATEDB): {}",
                chain(&e)
            )
        })?;
    let (server_version, major, timezone) = version_of(&mut c)?;
    let mut config = admin.clone();
    config.dbname(&name);
    Ok(Target {
        config,
        description: format!("database {name} created on {shown} (dropped afterwards)"),
        server_version,
        major,
        timezone,
        cleanup: Cleanup::Database {
            admin: Box::new(admin),
            name,
        },
    })
}

/// (server_version, major, TimeZone) of the session.
fn version_of(c: &mut Client) -> Result<(String, u16, String), String> {
    let row = c
        .query_one(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int, \
             current_setting('TimeZone')",
            &[],
        )
        .map_err(|e| chain(&e))?;
    let v: String = row.get(0);
    let num: i32 = row.get(1);
    Ok((v, (num / 10000) as u16, row.get(2)))
}

/// The user the server runs as when we are root (PostgreSQL refuses to run as root).
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

fn run_as() -> Result<Option<RunAs>, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::env::var("MIGCHECK_PG_USER").unwrap_or_else(|_| "nobody".to_string());
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 4
            && f[0] == name
            && let (Ok(uid), Ok(gid)) = (f[2].parse::<u32>(), f[3].parse::<u32>())
        {
            if uid == 0 {
                break;
            }
            return Ok(Some(RunAs { name, uid, gid }));
        }
    }
    Err(format!(
        "running as root, and PostgreSQL refuses to run as root: the scratch server needs an \
         unprivileged user, but `{name}` is not in /etc/passwd (set MIGCHECK_PG_USER to one)"
    ))
}

/// A temporary cluster from the binaries in `bindir`, on a free loopback port.
pub fn temporary_cluster(
    bindir: &Path,
    timezone: &str,
    log: &mut dyn FnMut(&str),
) -> Result<Target, String> {
    let bindir = bindir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", bindir.display()))?;
    for b in ["postgres", "initdb"] {
        if !bindir.join(b).is_file() {
            return Err(format!("{} has no `{b}` binary", bindir.display()));
        }
    }
    let user = run_as()?;
    let dir = std::env::temp_dir().join(format!("migcheck-trace-{}", random_suffix()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let result = start_in(&dir, &bindir, user.as_ref(), timezone, log);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn start_in(
    dir: &Path,
    bindir: &Path,
    user: Option<&RunAs>,
    timezone: &str,
    log: &mut dyn FnMut(&str),
) -> Result<Target, String> {
    use std::os::unix::fs::{PermissionsExt, chown};
    use std::os::unix::process::CommandExt;
    let mut bindir = bindir.to_path_buf();
    if let Some(u) = user {
        log(&format!(
            "running as root: the scratch server runs as the unprivileged user `{}` (uid {})",
            u.name, u.uid
        ));
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711))
            .map_err(|e| e.to_string())?;
        if !reachable_by_others(&bindir) {
            // e.g. a cache under /root (0700): give the server a linked copy instead of
            // loosening the permissions of the user's home
            let install = bindir.parent().unwrap_or(&bindir).to_path_buf();
            let copy = dir.join("pg");
            link_tree(&install, &copy)?;
            bindir = copy.join(bindir.file_name().unwrap_or_default());
        }
    }
    let data = dir.join("data");
    std::fs::create_dir(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    if let Some(u) = user {
        chown(&data, Some(u.uid), Some(u.gid))
            .map_err(|e| format!("cannot chown {}: {e}", data.display()))?;
    }
    let cmd = |prog: &str| {
        let mut c = Command::new(bindir.join(prog));
        c.current_dir("/")
            .env("LC_ALL", "C")
            .env("LANG", "C")
            .env("TZ", "UTC")
            .env_remove("PGDATA")
            .stdin(Stdio::null());
        if let Some(u) = user {
            c.uid(u.uid).gid(u.gid);
        }
        c
    };
    let out = cmd("initdb")
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "-D",
        ])
        .arg(&data)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bindir.join("initdb").display()))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    // The port is given on the command line at each start (`-p`), not in the file: a start
    // that loses its port to another process is retried on a new one.
    let conf = format!(
        "\n# migcheck trace\nlisten_addresses = '127.0.0.1'\n\
         unix_socket_directories = ''\nfsync = off\nsynchronous_commit = off\n\
         full_page_writes = off\nautovacuum = off\nTimeZone = '{}'\n",
        timezone.replace('\'', "''")
    );
    let conf_path = data.join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf_path).map_err(|e| e.to_string())?;
    text.push_str(&conf);
    std::fs::write(&conf_path, text).map_err(|e| e.to_string())?;
    let log_path = dir.join("server.log");
    let mut attempt = 0;
    let (mut cluster, config, port, mut client) = loop {
        attempt += 1;
        let port = free_port()?;
        let logf = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        if let Some(u) = user {
            let _ = chown(&log_path, Some(u.uid), Some(u.gid));
        }
        let child = cmd("postgres")
            .arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(logf)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bindir.join("postgres").display()))?;
        let mut cluster = Cluster {
            dir: dir.to_path_buf(),
            child,
        };
        let mut config = Config::new();
        config
            .host("127.0.0.1")
            .port(port)
            .user("postgres")
            .dbname("postgres")
            .application_name("migcheck trace");
        match connect_own(&mut cluster, &config, &data, &log_path) {
            Ok(client) => break (cluster, config, port, client),
            Err(Start::PortTaken) if attempt < 5 => {
                log(&format!(
                    "port {port} was taken by another process before the scratch server bound it; \
                     retrying on another port"
                ));
            }
            Err(Start::PortTaken) => {
                cluster.stop();
                return Err(format!(
                    "the scratch server could not bind a free loopback port in {attempt} attempts \
                     (other processes took each one first)"
                ));
            }
            Err(Start::Failed(e)) => {
                cluster.stop();
                return Err(e);
            }
        }
    };
    let (server_version, major, timezone) =
        version_of(&mut client).inspect_err(|_| cluster.stop())?;
    drop(client);
    Ok(Target {
        config,
        description: format!(
            "temporary cluster of PostgreSQL {server_version} on 127.0.0.1:{port} (removed afterwards)"
        ),
        server_version,
        major,
        timezone,
        cleanup: Cleanup::Cluster(cluster),
    })
}

/// Why a scratch server start did not give a connection.
enum Start {
    /// Another process holds the port: start again on another.
    PortTaken,
    Failed(String),
}

/// Waits (up to 60 s) for the scratch server to accept connections and makes sure the server
/// that answers on its port is this one (`data_directory`): another process may have taken the
/// port between `free_port` and the bind, and the trace must never run DDL on a server it does
/// not own.
fn connect_own(
    cluster: &mut Cluster,
    config: &Config,
    data: &Path,
    log_path: &Path,
) -> Result<Client, Start> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let own = data.canonicalize().unwrap_or_else(|_| data.to_path_buf());
    loop {
        if let Ok(Some(status)) = cluster.child.try_wait() {
            let log = std::fs::read_to_string(log_path).unwrap_or_default();
            if log.contains("could not create any TCP/IP sockets") {
                return Err(Start::PortTaken);
            }
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(Start::Failed(format!(
                "the PostgreSQL server exited ({status}) before accepting connections:\n{}",
                tail.join("\n")
            )));
        }
        match config.connect(NoTls) {
            Ok(mut c) => {
                let theirs = c
                    .query_one("SELECT current_setting('data_directory')", &[])
                    .map(|r| r.get::<_, String>(0))
                    .map_err(|e| Start::Failed(chain(&e)))?;
                let theirs = Path::new(&theirs);
                if theirs
                    .canonicalize()
                    .unwrap_or_else(|_| theirs.to_path_buf())
                    == own
                {
                    return Ok(c);
                }
                // someone else's server: ours cannot bind this port
                drop(c);
                cluster.stop_server();
                return Err(Start::PortTaken);
            }
            Err(e) => {
                if Instant::now() > deadline {
                    return Err(Start::Failed(format!(
                        "the PostgreSQL server did not accept connections within 60 s: {}",
                        chain(&e)
                    )));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| format!("no free loopback port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// Whether every directory above `p` lets others through (x for "others").
fn reachable_by_others(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.ancestors()
        .all(|a| std::fs::metadata(a).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

/// Recreates `from` under `to` with hard links (copies across file systems), keeping symlinks.
fn link_tree(from: &Path, to: &Path) -> Result<(), String> {
    for e in walkdir::WalkDir::new(from) {
        let e = e.map_err(|e| e.to_string())?;
        let rel = e.path().strip_prefix(from).map_err(|e| e.to_string())?;
        let dst = to.join(rel);
        let ft = e.file_type();
        let r = if ft.is_dir() {
            std::fs::create_dir_all(&dst)
        } else if ft.is_symlink() {
            std::fs::read_link(e.path()).and_then(|t| std::os::unix::fs::symlink(t, &dst))
        } else {
            std::fs::hard_link(e.path(), &dst)
                .or_else(|_| std::fs::copy(e.path(), &dst).map(|_| ()))
        };
        r.map_err(|err| format!("cannot prepare {}: {err}", dst.display()))?;
    }
    Ok(())
}

/// The major of the binaries in `bindir` (`postgres --version`).
pub fn bin_major(bindir: &Path) -> Result<u16, String> {
    let out = Command::new(bindir.join("postgres"))
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bindir.join("postgres").display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.rsplit(' ')
        .next()
        .and_then(|v| v.trim().split('.').next())
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| {
            format!(
                "cannot read the version from `postgres --version`: {}",
                text.trim()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/app"),
            "postgres://app:***@db:5432/app"
        );
        assert_eq!(redact("postgres://app@db/app"), "postgres://app@db/app");
        assert_eq!(
            redact("postgresql://db/app?user=x&password=s3cret"),
            "postgresql://db/app?user=x&password=***"
        );
        assert_eq!(
            redact("host=db user=app password=s3cret dbname=app"),
            "host=db user=app password=*** dbname=app"
        );
        assert_eq!(redact("postgres://a:b:c@h/d"), "postgres://a:***@h/d");
    }
}
