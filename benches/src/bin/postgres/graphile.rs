//! graphile-worker, run by Node.js from `benches/graphile/`: `bench.mjs` does the measurements
//! that the Rust child processes do, and answers with the same `key value` lines.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `benches/graphile/`, with its dependencies installed: `npm install` runs there when
/// `node_modules` lacks graphile-worker. An error says why graphile-worker cannot run (no
/// `node`, no `npm`, the install failed); its rows are then reported as not measured.
pub(crate) fn prepare() -> Result<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("graphile");
    let version = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| format!("`node` is not available ({e}); install Node.js 20 or later"))?;
    if !version.status.success() {
        return Err("`node --version` failed".into());
    }
    if dir
        .join("node_modules/graphile-worker/package.json")
        .is_file()
    {
        return Ok(dir);
    }
    eprintln!(
        "graphile-worker is not installed in {}: running `npm install` there",
        dir.display()
    );
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        // Its progress goes to our stderr, so that stdout stays the report.
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| format!("`npm` is not available ({e}): cannot install graphile-worker"))?;
    if !status.success() {
        return Err(format!(
            "`npm install` in {} failed ({status})",
            dir.display()
        ));
    }
    Ok(dir)
}

/// `node bench.mjs <args…>` in `dir`.
pub(crate) fn command(dir: &std::path::Path, args: &[String]) -> Command {
    let mut command = Command::new("node");
    command.arg("bench.mjs").args(args).current_dir(dir);
    command
}
