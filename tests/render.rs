//! The HTML review report in a real browser: headless Chromium renders it to a screenshot (the
//! PNG must have the requested size and real content, not a blank page), prints it to PDF, and
//! its DOM after loading holds the findings. The report is one self-contained file, so this is
//! also a check that nothing external is needed.
//!
//! Chromium comes from Debian's `chromium` package (`.ci/run` installs it and sets
//! `MIGCHECK_REQUIRE_CHROMIUM=1`, which turns its absence into a failure); `MIGCHECK_CHROMIUM`
//! names another binary. Where it is missing and not required, the test says so and passes.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MIGCHECK_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|b| std::env::split_paths(&path).map(move |d| d.join(b)))
        .find(|p| p.is_file())
}

fn headless(bin: &Path, profile: &Path, args: &[String]) -> std::process::Output {
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

/// Width, height and the inflated image data of an 8-bit RGB(A) PNG.
fn png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut w, mut h, mut idat) = (0, 0, Vec::new());
    let mut i = 8;
    while i + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes")) as usize;
        let kind = &bytes[i + 4..i + 8];
        let data = &bytes[i + 8..i + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().expect("4 bytes"));
                h = u32::from_be_bytes(data[4..8].try_into().expect("4 bytes"));
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        i += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(idat.as_slice())
        .read_to_end(&mut raw)
        .expect("image data inflates");
    (w, h, raw)
}

#[test]
fn html_report_renders_and_prints_in_headless_chromium() {
    let Some(bin) = chromium() else {
        assert!(
            std::env::var_os("MIGCHECK_REQUIRE_CHROMIUM").is_none(),
            "MIGCHECK_REQUIRE_CHROMIUM is set but no chromium was found"
        );
        eprintln!("SKIPPED: no chromium on PATH (Debian: apt-get install chromium)");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let html = tmp.path().join("review.html");
    let o = Command::new(env!("CARGO_BIN_EXE_migcheck"))
        .current_dir(common::root())
        .args([
            "report",
            "fixtures/projects/black-friday",
            "--format",
            "html",
            "--stats",
        ])
        .arg("fixtures/projects/black-friday/stats-production.json")
        .arg("-o")
        .arg(&html)
        .output()
        .expect("migcheck runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let url = format!("file://{}", html.display());
    let profile = tmp.path().join("profile");

    // the DOM after loading: the summary and both dangers, with the estimate from --stats
    let dom = headless(&bin, &profile, &["--dump-dom".into(), url.clone()]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    for needle in [
        "<h1>migcheck review</h1>",
        "2 finding(s) need a fix or a DBA sign-off",
        "<code>MC010</code>",
        "<code>MC020</code>",
        "~12 s",
        "<code>loyalty_tier</code>",
    ] {
        assert!(
            dom.contains(needle),
            "rendered DOM lacks {needle:?}:\n{dom}"
        );
    }

    // a screenshot of the requested size with real content (a blank page inflates to a few
    // distinct byte values)
    let shot = tmp.path().join("review.png");
    let out = headless(
        &bin,
        &profile,
        &[
            "--window-size=1200,1600".into(),
            format!("--screenshot={}", shot.display()),
            url.clone(),
        ],
    );
    let bytes = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let (w, h, raw) = png(&bytes);
    assert_eq!((w, h), (1200, 1600));
    let mut seen = [false; 256];
    for b in &raw {
        seen[*b as usize] = true;
    }
    let distinct = seen.iter().filter(|x| **x).count();
    assert!(
        distinct > 64,
        "the screenshot looks blank ({distinct} distinct byte values)"
    );
    if let Ok(dir) = std::env::var("MIGCHECK_SCREENSHOT_DIR") {
        let _ = std::fs::copy(&shot, Path::new(&dir).join("review.png"));
    }

    // printable: print to PDF
    let pdf = tmp.path().join("review.pdf");
    headless(
        &bin,
        &profile,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
            url,
        ],
    );
    let bytes = std::fs::read(&pdf).expect("a PDF was printed");
    assert!(
        bytes.starts_with(b"%PDF-") && bytes.len() > 10_000,
        "PDF of {} bytes",
        bytes.len()
    );
}
