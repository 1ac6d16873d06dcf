//! The scheduler task: a heap of deadlines behind one timer, the jobs' state, and the commands of
//! every [`Handle`](crate::Handle).
//!
//! It owns all mutable job state, so nothing here is locked; runs execute in their own tasks and
//! report back through an unbounded channel (a full channel would have to drop or block).

use crate::context::RunId;
use crate::executor::{self, Done, Run};
use crate::history::SkipReason;
use crate::job::{random_below, Job, JobSpec, Overlap};
use crate::runtime::{JobStatus, Shared};
use crate::Error;
use chrono::{DateTime, Utc};
use jobs_schedule::Schedule;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;
use tokio::time::Instant;

type Reply<T> = oneshot::Sender<Result<T, Error>>;

pub(crate) enum Command {
    Trigger(String, Reply<RunId>),
    Pause(String, Reply<()>),
    Resume(String, Reply<()>),
    Reschedule(String, Schedule, Reply<()>),
    Add(Box<Job>, Reply<()>),
    Remove(String, Reply<()>),
    Jobs(oneshot::Sender<Vec<JobStatus>>),
    Shutdown,
}

struct Slot {
    spec: Arc<JobSpec>,
    schedule: Option<Schedule>,
    next: Option<DateTime<Utc>>,
    paused: bool,
    running: Vec<Running>,
    /// Ticks waiting under `overlap = "queue"`.
    queued: VecDeque<DateTime<Utc>>,
    /// Bumped on reschedule, so that heap entries of the old schedule are ignored.
    generation: u64,
}

struct Running {
    run_id: RunId,
    abort: AbortHandle,
    cancel_reason: Arc<OnceLock<String>>,
}

impl Running {
    fn cancel(&self, reason: String) {
        let _ = self.cancel_reason.set(reason);
        self.abort.abort();
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    at: Instant,
    /// Breaks ties in insertion order, so that jobs due together start in a stable order.
    seq: u64,
    slot: usize,
    generation: u64,
    scheduled_at: DateTime<Utc>,
    intended_at: DateTime<Utc>,
}

pub(crate) struct Scheduler {
    /// Indexed by slot; a removed job leaves `None`, so a slot number is never reused and late
    /// messages about a removed job cannot reach a new one.
    slots: Vec<Option<Slot>>,
    by_name: HashMap<Arc<str>, usize>,
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    shared: Arc<Shared>,
    commands: mpsc::UnboundedReceiver<Command>,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
    /// Runs of removed jobs, still to be waited for at shutdown.
    orphans: Vec<Running>,
    shutdown_timeout: Duration,
}

impl Scheduler {
    pub(crate) fn new(
        specs: Vec<JobSpec>,
        shared: Arc<Shared>,
        commands: mpsc::UnboundedReceiver<Command>,
        shutdown_timeout: Duration,
    ) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let mut scheduler = Self {
            slots: Vec::with_capacity(specs.len()),
            by_name: HashMap::with_capacity(specs.len()),
            heap: BinaryHeap::with_capacity(specs.len()),
            seq: 0,
            shared,
            commands,
            done_tx,
            done_rx,
            orphans: Vec::new(),
            shutdown_timeout,
        };
        let now = scheduler.shared.clock.now();
        for spec in specs {
            scheduler.insert(spec, now);
        }
        scheduler
    }

    pub(crate) async fn run(mut self) {
        let sleep = tokio::time::sleep_until(Instant::now());
        tokio::pin!(sleep);
        let mut armed = None;
        let mut commands_open = true;
        loop {
            let next = self.heap.peek().map(|Reverse(entry)| entry.at);
            if next.is_some() && next != armed {
                sleep.as_mut().reset(next.unwrap_or_else(Instant::now));
                armed = next;
            }
            tokio::select! {
                biased;
                Some(done) = self.done_rx.recv() => self.finished(&done),
                command = self.commands.recv(), if commands_open => match command {
                    Some(Command::Shutdown) => break,
                    Some(command) => self.command(command),
                    // Every handle is gone: nobody can stop the jobs any more, but they go on.
                    None => commands_open = false,
                },
                () = &mut sleep, if next.is_some() => {
                    armed = None;
                    let due = self.fire();
                    // The runs just started may be queued on this very worker thread: let them
                    // begin before spending time on the next instants.
                    tokio::task::yield_now().await;
                    self.plan_after(due);
                }
            }
        }
        self.shut_down().await;
    }

    fn insert(&mut self, spec: JobSpec, now: DateTime<Utc>) -> usize {
        let slot = self.slots.len();
        self.by_name.insert(Arc::clone(&spec.name), slot);
        self.slots.push(Some(Slot {
            schedule: spec.schedule.clone(),
            spec: Arc::new(spec),
            next: None,
            paused: false,
            running: Vec::new(),
            queued: VecDeque::new(),
            generation: 0,
        }));
        self.plan(slot, now, now);
        slot
    }

    /// Pops every due entry and starts them all; [`Scheduler::plan_after`] then computes their
    /// next instants.
    fn fire(&mut self) -> Vec<Entry> {
        let now_instant = Instant::now();
        let now = self.shared.clock.now();
        let mut due = Vec::new();
        while let Some(Reverse(entry)) = self.heap.peek() {
            if entry.at > now_instant {
                break;
            }
            let Some(Reverse(entry)) = self.heap.pop() else {
                break;
            };
            let current = self.slots[entry.slot]
                .as_ref()
                .is_some_and(|slot| slot.generation == entry.generation);
            if !current {
                continue;
            }
            if entry.intended_at > now {
                // The wall clock is behind the monotonic one (it was set back): never run early.
                self.push(Entry {
                    at: self.shared.clock.deadline(entry.intended_at),
                    ..entry
                });
                continue;
            }
            due.push(entry);
        }
        for entry in &due {
            self.tick(entry.slot, entry.scheduled_at, entry.intended_at);
        }
        due
    }

    fn plan_after(&mut self, due: Vec<Entry>) {
        let now = self.shared.clock.now();
        for entry in due {
            self.plan(entry.slot, entry.scheduled_at, now);
        }
    }

    fn tick(&mut self, index: usize, scheduled_at: DateTime<Utc>, intended_at: DateTime<Utc>) {
        let Some(slot) = self.slots[index].as_mut() else {
            return;
        };
        if slot.paused {
            self.shared
                .history
                .skipped(&slot.spec.name, scheduled_at, SkipReason::Paused);
            return;
        }
        if !slot.running.is_empty() {
            match slot.spec.options.overlap {
                Overlap::Skip => {
                    self.shared
                        .history
                        .skipped(&slot.spec.name, scheduled_at, SkipReason::Overlap);
                    return;
                }
                Overlap::Queue => {
                    slot.queued.push_back(scheduled_at);
                    return;
                }
                Overlap::Replace => {
                    for running in slot.running.drain(..) {
                        running.cancel(format!("replaced by the run scheduled at {scheduled_at}"));
                    }
                }
                Overlap::Allow => {}
            }
        }
        self.start(index, scheduled_at, intended_at);
    }

    fn start(
        &mut self,
        index: usize,
        scheduled_at: DateTime<Utc>,
        intended_at: DateTime<Utc>,
    ) -> RunId {
        let run_id = self.shared.next_run_id();
        let Some(slot) = self.slots[index].as_mut() else {
            return run_id;
        };
        let cancel_reason = Arc::new(OnceLock::new());
        let task = tokio::spawn(executor::drive(Run {
            spec: Arc::clone(&slot.spec),
            slot: index,
            id: run_id,
            scheduled_at,
            intended_at,
            shared: Arc::clone(&self.shared),
            done: self.done_tx.clone(),
            cancel_reason: Arc::clone(&cancel_reason),
        }));
        slot.running.push(Running {
            run_id,
            abort: task.abort_handle(),
            cancel_reason,
        });
        run_id
    }

    /// Schedules the tick after `last`. Ticks that are already past with a later one also past
    /// (the process stalled) are recorded as missed and only the latest runs.
    fn plan(&mut self, index: usize, last: DateTime<Utc>, now: DateTime<Utc>) {
        let Some(slot) = self.slots[index].as_mut() else {
            return;
        };
        let Some(schedule) = &slot.schedule else {
            return;
        };
        let mut next = schedule.next_after(last);
        // Only a tick that is already past can have a later one past too: the on-time path
        // computes one instant.
        while let Some(tick) = next.filter(|&tick| tick <= now) {
            match schedule.next_after(tick) {
                Some(later) if later <= now => {
                    self.shared
                        .history
                        .skipped(&slot.spec.name, tick, SkipReason::Missed);
                    next = Some(later);
                }
                _ => break,
            }
        }
        slot.next = next;
        let Some(scheduled_at) = next else {
            return;
        };
        let jitter = slot
            .spec
            .options
            .jitter
            .map_or(Duration::ZERO, random_below);
        let intended_at = scheduled_at + jitter;
        let generation = slot.generation;
        self.push(Entry {
            at: self.shared.clock.deadline(intended_at),
            seq: 0,
            slot: index,
            generation,
            scheduled_at,
            intended_at,
        });
    }

    fn push(&mut self, mut entry: Entry) {
        self.seq += 1;
        entry.seq = self.seq;
        self.heap.push(Reverse(entry));
    }

    fn finished(&mut self, done: &Done) {
        let Some(slot) = self.slots.get_mut(done.slot).and_then(Option::as_mut) else {
            self.orphans.retain(|running| running.run_id != done.run_id);
            return;
        };
        slot.running.retain(|running| running.run_id != done.run_id);
        if slot.running.is_empty() && !*self.shared.shutdown.borrow() {
            if let Some(scheduled_at) = slot.queued.pop_front() {
                self.start(done.slot, scheduled_at, scheduled_at);
            }
        }
    }

    fn slot_named(&mut self, name: &str) -> Result<usize, Error> {
        let known = self.by_name.keys().map(AsRef::as_ref);
        let full = crate::registry::resolve(known, name)?;
        Ok(self.by_name[full.as_str()])
    }

    fn command(&mut self, command: Command) {
        let now = self.shared.clock.now();
        match command {
            Command::Trigger(name, reply) => {
                let result = self
                    .slot_named(&name)
                    .map(|slot| self.start(slot, now, now));
                let _ = reply.send(result);
            }
            Command::Pause(name, reply) => {
                let _ = reply.send(self.set_paused(&name, true));
            }
            Command::Resume(name, reply) => {
                let _ = reply.send(self.set_paused(&name, false));
            }
            Command::Reschedule(name, schedule, reply) => {
                let result = self.slot_named(&name).map(|index| {
                    if let Some(slot) = self.slots[index].as_mut() {
                        slot.schedule = Some(schedule);
                        slot.generation += 1;
                    }
                    self.plan(index, now, now);
                });
                let _ = reply.send(result);
            }
            Command::Add(job, reply) => {
                let result = if let Some(&existing) = self.by_name.get(job.spec.name.as_ref()) {
                    Err(Error::DuplicateJob {
                        name: job.spec.name.to_string(),
                        first: self.slots[existing]
                            .as_ref()
                            .and_then(|slot| slot.spec.location.clone())
                            .unwrap_or_else(|| "added at run time".to_owned()),
                        second: "added at run time".to_owned(),
                    })
                } else {
                    self.insert(job.spec, now);
                    Ok(())
                };
                let _ = reply.send(result);
            }
            Command::Remove(name, reply) => {
                let result = self.slot_named(&name).map(|index| {
                    // Runs already started finish, and shutdown still waits for them.
                    if let Some(slot) = self.slots[index].take() {
                        self.orphans.extend(slot.running);
                    }
                    self.by_name.remove(name.as_str());
                });
                let _ = reply.send(result);
            }
            Command::Jobs(reply) => {
                let mut jobs: Vec<JobStatus> = self
                    .slots
                    .iter()
                    .flatten()
                    .map(|slot| JobStatus {
                        name: Arc::clone(&slot.spec.name),
                        schedule: slot.schedule.clone(),
                        next_run: slot.next,
                        paused: slot.paused,
                        running: slot.running.len(),
                    })
                    .collect();
                jobs.sort_by(|a, b| a.name.cmp(&b.name));
                let _ = reply.send(jobs);
            }
            Command::Shutdown => {}
        }
    }

    fn set_paused(&mut self, name: &str, paused: bool) -> Result<(), Error> {
        let index = self.slot_named(name)?;
        if let Some(slot) = self.slots[index].as_mut() {
            slot.paused = paused;
        }
        Ok(())
    }

    /// Stops starting runs, lets running ones finish within the shutdown timeout, then cancels
    /// the rest and waits for their records. Ticks that come meanwhile are recorded as skipped,
    /// and commands are answered with [`Error::ShutDown`].
    async fn shut_down(mut self) {
        tracing::info!(timeout = ?self.shutdown_timeout, "job runtime shutting down");
        self.shared.shutdown.send_replace(true);
        for slot in self.slots.iter_mut().flatten() {
            for scheduled_at in slot.queued.drain(..) {
                self.shared
                    .history
                    .skipped(&slot.spec.name, scheduled_at, SkipReason::Shutdown);
            }
        }
        let deadline = tokio::time::sleep(self.shutdown_timeout);
        tokio::pin!(deadline);
        let tick = tokio::time::sleep_until(Instant::now());
        tokio::pin!(tick);
        let mut cancelled = false;
        while self.running() {
            let next = self.heap.peek().map(|Reverse(entry)| entry.at);
            if let Some(at) = next {
                tick.as_mut().reset(at);
            }
            tokio::select! {
                biased;
                Some(done) = self.done_rx.recv() => self.finished(&done),
                Some(command) = self.commands.recv() => refuse(command),
                () = &mut deadline, if !cancelled => {
                    cancelled = true;
                    let reason = format!(
                        "cancelled at shutdown: still running after the shutdown timeout of {}",
                        jobs_schedule::format_duration(self.shutdown_timeout)
                    );
                    let runs = self.slots.iter().flatten().flat_map(|slot| &slot.running);
                    for running in runs.chain(&self.orphans) {
                        running.cancel(reason.clone());
                    }
                }
                () = &mut tick, if next.is_some() => self.skip_due_ticks(),
            }
        }
        tracing::info!("job runtime stopped");
    }

    fn running(&self) -> bool {
        !self.orphans.is_empty()
            || self
                .slots
                .iter()
                .flatten()
                .any(|slot| !slot.running.is_empty())
    }

    fn skip_due_ticks(&mut self) {
        let now_instant = Instant::now();
        let now = self.shared.clock.now();
        while self
            .heap
            .peek()
            .is_some_and(|Reverse(entry)| entry.at <= now_instant)
        {
            let Some(Reverse(entry)) = self.heap.pop() else {
                break;
            };
            let Some(slot) = self.slots[entry.slot].as_ref() else {
                continue;
            };
            if slot.generation == entry.generation {
                self.shared.history.skipped(
                    &slot.spec.name,
                    entry.scheduled_at,
                    SkipReason::Shutdown,
                );
                self.plan(entry.slot, entry.scheduled_at, now);
            }
        }
    }
}

/// Answers a command that arrives while shutting down.
fn refuse(command: Command) {
    match command {
        Command::Trigger(_, reply) => drop(reply.send(Err(Error::ShutDown))),
        Command::Pause(_, reply)
        | Command::Resume(_, reply)
        | Command::Reschedule(_, _, reply)
        | Command::Add(_, reply)
        | Command::Remove(_, reply) => drop(reply.send(Err(Error::ShutDown))),
        Command::Jobs(_) | Command::Shutdown => {}
    }
}
