//! The top of a benchmark's Markdown report: what wrote it, how to run it again, and on what.

use crate::probe::Machine;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::time::Duration;

pub(crate) struct Header<'a> {
    pub(crate) title: &'a str,
    /// The binary that writes the report, as `cargo run --bin` names it.
    pub(crate) bin: &'a str,
    pub(crate) date: DateTime<Utc>,
    pub(crate) elapsed: Duration,
    /// A paragraph between the line that says what wrote the report and how to reproduce it.
    pub(crate) note: Option<&'a str>,
    pub(crate) machine: &'a Machine,
    /// The peer crates measured, and how they were set up.
    pub(crate) peers: &'a str,
}

pub(crate) fn write(md: &mut String, header: &Header<'_>) {
    let m = header.machine;
    let _ = writeln!(md, "# {}\n", header.title);
    let _ = writeln!(
        md,
        "Written by `benches/src/bin/{}.rs` on {} in {:.0} s; every figure below comes from that one run.\n",
        header.bin,
        header.date.format("%Y-%m-%d %H:%M UTC"),
        header.elapsed.as_secs_f64()
    );
    if let Some(note) = header.note {
        let _ = writeln!(md, "{note}\n");
    }
    let _ = writeln!(
        md,
        "Reproduce (from the workspace root; takes about as long):\n"
    );
    let _ = writeln!(
        md,
        "```sh\ncargo run --release -p jobs-benches --bin {}\n```\n",
        header.bin
    );
    let _ = writeln!(md, "| machine | |\n|---|---|");
    let _ = writeln!(md, "| CPUs (`nproc`) | {} |", m.cpus);
    let _ = writeln!(md, "| CPU model | {} |", m.cpu_model);
    let _ = writeln!(md, "| memory | {} MiB |", thousands(m.memory_mib));
    let _ = writeln!(md, "| kernel | {} |", m.kernel);
    let _ = writeln!(md, "| compiler | {} (`--release`) |", m.rustc);
    let _ = writeln!(md, "| code measured | {} |", m.revision);
    let _ = writeln!(md, "| peers | {} |\n", header.peers);
}

/// `n` with its digits grouped by thousands with a narrow space.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}
