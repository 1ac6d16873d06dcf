//! A measurement in a child process: the parent runs this binary again with `--child`, reads the
//! figures the child prints on its stdout, and kills it at a deadline.

use crate::fields::Fields;
use crate::probe;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One child's answer, or why there is none.
pub(crate) type Outcome<T> = Result<T, String>;

/// Runs this binary with `--child` followed by `args` and reads its figures, adding
/// `other_load_pct`; kills it when it has not ended within `timeout`, checking every `poll`.
pub(crate) fn run(args: &[&str], timeout: Duration, poll: Duration) -> Outcome<Fields> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    command.arg("--child").args(args);
    run_command(command, timeout, poll)
}

/// As [`run`], for any program that answers the same way: `key value` lines on its stdout, among
/// them `cpu_ticks` (its own CPU time in clock ticks) or `error`.
pub(crate) fn run_command(
    mut command: Command,
    timeout: Duration,
    poll: Duration,
) -> Outcome<Fields> {
    let busy_before = probe::machine_busy_ticks();
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start the child: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    // Read while the child runs, so that a full pipe can never block it.
    let reader = std::thread::spawn(move || {
        let mut output = String::new();
        let _ = stdout.read_to_string(&mut output);
        output
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(poll),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("did not finish within {}s", timeout.as_secs()));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let busy = probe::machine_busy_ticks().saturating_sub(busy_before);
    let output = reader.join().unwrap_or_default();
    let mut fields = Fields::parse(&output);
    if let Ok(error) = fields.text("error") {
        return Err(error.to_owned());
    }
    if !status.success() {
        return Err(format!("the child failed: {status}"));
    }
    let own: u64 = fields.number("cpu_ticks")?;
    fields.put(
        "other_load_pct",
        other_load_pct(busy.saturating_sub(own), started.elapsed()),
    );
    Ok(fields)
}

/// The child's side: prints its figures, with the CPU time it used for [`run`] to subtract from the
/// machine's, or the error, and ends the process.
pub(crate) fn answer(result: Outcome<Fields>) -> ! {
    match result {
        Ok(mut fields) => {
            fields.put("cpu_ticks", probe::own_cpu_ticks());
            fields.print();
        }
        Err(error) => println!("error {error}"),
    }
    // Whatever the measurement started (workers, queues, 100 000 registered jobs) is left as it
    // is: tearing it down measures nothing and can take longer than the measurement.
    std::process::exit(0);
}

/// CPU time of other processes (and of the hypervisor, as steal) while a child ran, as a share of
/// every CPU: on a shared machine a neighbour's build takes cores from the subject, and shows up in
/// its figures.
#[allow(
    clippy::cast_precision_loss,
    reason = "clock ticks of a few minutes are far below 2^52"
)]
fn other_load_pct(other_ticks: u64, wall: Duration) -> f64 {
    // Linux reports /proc/stat in USER_HZ, 100 per second on every architecture it runs on.
    const TICKS_PER_SECOND: f64 = 100.0;
    let cpus = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    100.0 * other_ticks as f64 / (wall.as_secs_f64() * TICKS_PER_SECOND * cpus).max(1.0)
}
