//! The scheduler task: deadlines in order behind one timer, the jobs' state, and the commands of
//! every [`Handle`](crate::Handle).
//!
//! It owns all mutable job state, so nothing here is locked; runs execute in their own tasks and
//! report back through an unbounded channel (a full channel would have to drop or block).

use crate::context::RunId;
use crate::executor::{self, Run, Tick};
use crate::history::{JobHistory, SkipReason};
use crate::job::{random_below, CatchUp, Job, JobSpec, Overlap};
use crate::queue::Queues;
use crate::reconcile;
use crate::runtime::{JobStatus, Shared};
use crate::store::{Pause, StoredJob};
use crate::timer::Deadline;
use crate::Error;
use chrono::{DateTime, Utc};
use jobs_schedule::Schedule;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// What runs and queue workers tell the scheduler.
#[derive(Debug)]
pub(crate) enum Event {
    /// A run of a scheduled (or triggered) job ended, however it ended.
    RunEnded { slot: usize, run_id: RunId },
    /// A queue worker ended: shutdown waits for the last one.
    WorkerEnded,
    /// A job of the queue waits for this instant (a delay, or a retry's backoff): wake the
    /// queue's workers then.
    WakeQueue(Arc<str>, DateTime<Utc>),
    /// A job's schedule or pause changed in a durable store, through some process's handle.
    Control(StoredJob),
    /// A run of a scheduled job won its tick's claim in a durable store: it runs.
    TickClaimed { slot: usize, run_id: RunId },
    /// A durable store's heartbeat took over this tick from a process that died before it
    /// finished: it now runs here.
    TakenOver {
        job: Arc<str>,
        scheduled_at: DateTime<Utc>,
    },
}

pub(crate) enum Command {
    Trigger(String, Reply<RunId>),
    /// The job, and since when and by whom ("through the dashboard") it is paused.
    Pause(String, Pause, Reply<()>),
    Resume(String, Reply<()>),
    Reschedule(String, Schedule, Reply<()>),
    Add(Box<Job>, Reply<()>),
    Remove(String, Reply<()>),
    /// A running run, and why it is stopped.
    CancelRun(RunId, String, Reply<()>),
    Jobs(oneshot::Sender<Vec<JobStatus>>),
    Shutdown,
}

struct Slot {
    spec: Arc<JobSpec>,
    history: Arc<JobHistory>,
    schedule: Option<Schedule>,
    next: Option<DateTime<Utc>>,
    paused: Option<Paused>,
    running: Vec<Running>,
    /// Ticks waiting under `overlap = "queue"`.
    queued: VecDeque<DateTime<Utc>>,
    /// Bumped on reschedule, so that timer entries of the old schedule are ignored.
    generation: u64,
    /// The last tick run by the `catch_up` policy: a run of a tick up to it is a catch-up.
    caught_up_to: Option<DateTime<Utc>>,
}

/// Since when a job is paused and by whom, which its skipped ticks and [`JobStatus`] tell.
#[derive(Clone)]
struct Paused {
    since: DateTime<Utc>,
    by: Arc<str>,
}

impl Paused {
    /// A pause as a handle or a durable store gives it; one the store recorded before it kept
    /// the origin (`None`) counts from `now`.
    fn new(pause: Option<&Pause>, now: DateTime<Utc>) -> Self {
        match pause {
            Some(pause) => Self {
                since: pause.at,
                by: pause.by.as_str().into(),
            },
            None => Self {
                since: now,
                by: "in the store".into(),
            },
        }
    }

    /// Why a tick was skipped, as its record says.
    fn detail(&self) -> String {
        format!(
            "paused since {} {}",
            self.since
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.by
        )
    }
}

struct Running {
    run_id: RunId,
    scheduled_at: DateTime<Utc>,
    /// Its task, to abort it: the handle the spawn returns (taking a second one, an abort
    /// handle, and dropping this one cost ~70 instructions a run).
    task: JoinHandle<()>,
    /// Whether it runs: a tick that waits for its claim in a durable store (the database may
    /// be down) does not hold back the next tick under `overlap`, or the next would be lost too.
    claimed: bool,
}

impl Running {
    fn cancel(&self, shared: &Shared, reason: String) {
        shared.set_cancel_reason(self.run_id, reason);
        self.task.abort();
    }
}

/// A tick waiting for its deadline.
struct Entry {
    slot: usize,
    generation: u64,
    scheduled_at: DateTime<Utc>,
    intended_at: DateTime<Utc>,
}

pub(crate) struct Scheduler {
    /// Indexed by slot; a removed job leaves `None`, so a slot number is never reused and late
    /// messages about a removed job cannot reach a new one.
    slots: Vec<Option<Slot>>,
    /// Ticks by deadline. Jobs on the same schedule share a deadline, so a burst of them is one
    /// entry to take, started in the order they were planned.
    timers: BTreeMap<Instant, Vec<Entry>>,
    /// Queues to wake, by deadline, on the same timer as the ticks.
    queue_timers: BTreeMap<Instant, Vec<Arc<str>>>,
    /// The earliest instant each queue's timer is armed for, so that a queue busy with delayed
    /// jobs arms one timer entry, not one per job.
    queue_armed: HashMap<Arc<str>, DateTime<Utc>>,
    shared: Arc<Shared>,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedReceiver<Event>,
    /// Runs of removed jobs, still to be waited for at shutdown.
    orphans: Vec<Running>,
    shutdown_timeout: Duration,
}

impl Scheduler {
    /// `seen`: up to when some process ran each job, and `paused`: the jobs paused, from a
    /// durable store (else empty).
    pub(crate) fn new(
        specs: Vec<JobSpec>,
        seen: &HashMap<String, DateTime<Utc>>,
        paused: &HashMap<String, Option<Pause>>,
        shared: Arc<Shared>,
        commands: mpsc::UnboundedReceiver<Command>,
        events: mpsc::UnboundedReceiver<Event>,
        shutdown_timeout: Duration,
    ) -> Self {
        let mut scheduler = Self {
            slots: Vec::with_capacity(specs.len()),
            timers: BTreeMap::new(),
            queue_timers: BTreeMap::new(),
            queue_armed: HashMap::new(),
            shared,
            commands,
            events,
            orphans: Vec::new(),
            shutdown_timeout,
        };
        let now = scheduler.shared.clock.now();
        let mut plans = PlanCache::default();
        for spec in specs {
            scheduler.insert(spec, now, &mut plans);
        }
        // Before any catch-up run claims a tick, so that the store knows every job.
        scheduler.shared.serve_catalog();
        for index in 0..scheduler.slots.len() {
            if let Some(slot) = scheduler.slots[index].as_mut() {
                slot.paused = paused
                    .get(&*slot.spec.name)
                    .map(|pause| Paused::new(pause.as_ref(), now));
            }
            let name = scheduler.slots[index]
                .as_ref()
                .map(|slot| Arc::clone(&slot.spec.name));
            if let Some(from) = name.and_then(|name| seen.get(&*name)) {
                scheduler.catch_up(index, *from, now);
            }
        }
        scheduler
    }

    /// Deals with the ticks of a job in `(seen, now]`, which no process ran because none was
    /// running (a durable store knows `seen`): per the job's `catch_up` policy, the latest or
    /// every one within the window runs now, and the rest are recorded as missed. A tick that
    /// another process starting at the same time also catches up is claimed by one of them.
    fn catch_up(&mut self, index: usize, seen: DateTime<Utc>, now: DateTime<Utc>) {
        /// Beyond this many missed ticks, the rest are counted, not recorded one by one.
        const RECORDED: usize = 100;
        let Some(slot) = self.slots[index].as_mut() else {
            return;
        };
        let Some(schedule) = slot.schedule.clone() else {
            return;
        };
        let options = &slot.spec.options;
        let mut missed = VecDeque::new();
        let mut dropped = 0_u64;
        for tick in schedule.after(seen).take_while(|&tick| tick <= now) {
            missed.push_back(tick);
            // Only the newest can run; the window is at most what they span.
            if missed.len() > RECORDED.max(1) {
                missed.pop_front();
                dropped += 1;
            }
        }
        let Some(&latest) = missed.back() else {
            return;
        };
        let period = schedule
            .next_after(latest)
            .and_then(|next| (next - latest).to_std().ok())
            .unwrap_or(Duration::from_secs(3600));
        let window = options
            .catch_up_window
            .unwrap_or_else(|| period.min(Duration::from_secs(3600)));
        let oldest_run = now - window;
        let run: Vec<DateTime<Utc>> = match options.catch_up {
            CatchUp::None => Vec::new(),
            CatchUp::Latest => missed
                .iter()
                .rev()
                .take(1)
                .copied()
                .filter(|&tick| tick >= oldest_run)
                .collect(),
            CatchUp::All => missed
                .iter()
                .copied()
                .filter(|&tick| tick >= oldest_run)
                .collect(),
        };
        let total = dropped + missed.len() as u64;
        tracing::info!(
            job = %slot.spec.name,
            %seen,
            missed = total,
            catching_up = run.len(),
            policy = ?options.catch_up,
            window = %jobs_schedule::format_duration(window),
            "ticks were missed while no process ran"
        );
        let detail = format!(
            "missed while no process ran (the last ran until {}); catch_up = {} ran {} of them",
            seen.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            match options.catch_up {
                CatchUp::None => "\"none\"",
                CatchUp::Latest => "\"latest\"",
                CatchUp::All => "\"all\"",
            },
            run.len()
        );
        for &tick in missed.iter().filter(|tick| !run.contains(tick)) {
            slot.history
                .skipped_because(tick, SkipReason::Missed, detail.clone());
        }
        let Some((&first, rest)) = run.split_first() else {
            return;
        };
        slot.caught_up_to = run.last().copied();
        slot.queued.extend(rest);
        self.start(index, first, first, Tick::Claim);
    }

    pub(crate) async fn run(mut self) {
        let mut sleep = Deadline::new(Instant::now(), self.shared.clock.is_system());
        let mut armed = None;
        let mut commands_open = true;
        loop {
            let ticks = self.timers.first_key_value().map(|(&at, _)| at);
            let queues = self.queue_timers.first_key_value().map(|(&at, _)| at);
            let next = match (ticks, queues) {
                (Some(tick), Some(queue)) => Some(tick.min(queue)),
                (tick, queue) => tick.or(queue),
            };
            if next.is_some() && next != armed {
                sleep.reset(next.unwrap_or_else(Instant::now));
                armed = next;
            }
            tokio::select! {
                biased;
                Some(event) = self.events.recv() => {
                    let ended = matches!(event, Event::RunEnded { .. });
                    self.event(event);
                    if ended {
                        // A run that ends wakes this task, and tokio polls a task woken that way
                        // next on the same worker: during a burst the loop went round once per
                        // run (9 232 times for 8 000 runs). Yielding lets the runs that are ready
                        // go first; every end that came meanwhile is then taken in one pass.
                        tokio::task::yield_now().await;
                        while let Ok(event) = self.events.try_recv() {
                            self.event(event);
                        }
                    }
                }
                command = self.commands.recv(), if commands_open => match command {
                    Some(Command::Shutdown) => break,
                    Some(command) => self.command(command),
                    // Every handle is gone: nobody can stop the jobs any more, but they go on.
                    None => commands_open = false,
                },
                () = &mut sleep, if next.is_some() => {
                    armed = None;
                    self.wake_queues();
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

    fn insert(&mut self, spec: JobSpec, now: DateTime<Utc>, plans: &mut PlanCache) -> usize {
        let slot = self.slots.len();
        let spec = Arc::new(spec);
        let history = self.shared.history.of_job(&spec.name);
        self.shared.add_to_catalog(&spec, &history, slot);
        self.slots.push(Some(Slot {
            history,
            schedule: spec.schedule.clone(),
            spec,
            next: None,
            paused: None,
            running: Vec::new(),
            queued: VecDeque::new(),
            generation: 0,
            caught_up_to: None,
        }));
        self.plan(slot, now, now, plans);
        slot
    }

    /// Takes every due entry and starts them all; [`Scheduler::plan_after`] then computes their
    /// next instants.
    fn fire(&mut self) -> Vec<Entry> {
        let now_instant = Instant::now();
        let now = self.shared.clock.now();
        let mut due = Vec::new();
        while let Some(timer) = self.timers.first_entry() {
            if *timer.key() > now_instant {
                break;
            }
            for entry in timer.remove() {
                let current = self.slots[entry.slot]
                    .as_ref()
                    .is_some_and(|slot| slot.generation == entry.generation);
                if !current {
                    continue;
                }
                if entry.intended_at > now {
                    // The wall clock is behind the monotonic one (it was set back): never run
                    // early.
                    let at = self.shared.clock.deadline(entry.intended_at);
                    self.timers.entry(at).or_default().push(entry);
                    continue;
                }
                // Started as it is taken, so that the first run of a burst of 100 000 does not
                // wait for the last to be taken.
                self.tick(entry.slot, entry.scheduled_at, entry.intended_at);
                due.push(entry);
            }
        }
        due
    }

    fn plan_after(&mut self, due: Vec<Entry>) {
        let now = self.shared.clock.now();
        let mut plans = PlanCache::default();
        for entry in due {
            if let Some(slot) = &self.slots[entry.slot] {
                slot.history.make_room();
            }
            self.plan(entry.slot, entry.scheduled_at, now, &mut plans);
        }
    }

    fn tick(&mut self, index: usize, scheduled_at: DateTime<Utc>, intended_at: DateTime<Utc>) {
        let Some(slot) = self.slots[index].as_mut() else {
            return;
        };
        if let Some(paused) = &slot.paused {
            slot.history
                .skipped_because(scheduled_at, SkipReason::Paused, paused.detail());
            return;
        }
        if slot.running.iter().any(|running| running.claimed) {
            match slot.spec.options.overlap {
                Overlap::Skip => {
                    slot.history.skipped(scheduled_at, SkipReason::Overlap);
                    return;
                }
                Overlap::Queue => {
                    slot.queued.push_back(scheduled_at);
                    return;
                }
                Overlap::Replace => {
                    for running in slot.running.drain(..) {
                        running.cancel(
                            &self.shared,
                            format!("replaced by the run scheduled at {scheduled_at}"),
                        );
                    }
                }
                Overlap::Allow => {}
            }
        }
        self.start(index, scheduled_at, intended_at, Tick::Claim);
    }

    fn start(
        &mut self,
        index: usize,
        scheduled_at: DateTime<Utc>,
        intended_at: DateTime<Utc>,
        tick: Tick,
    ) -> RunId {
        let run_id = self.shared.next_run_id();
        let Some(slot) = self.slots[index].as_mut() else {
            return run_id;
        };
        let task = tokio::spawn(executor::spawned(Run {
            spec: Arc::clone(&slot.spec),
            history: Arc::clone(&slot.history),
            slot: index,
            id: run_id,
            scheduled_at,
            intended_at,
            tick,
            catch_up: slot.caught_up_to.is_some_and(|last| scheduled_at <= last),
            shared: Arc::clone(&self.shared),
        }));
        slot.running.push(Running {
            run_id,
            scheduled_at,
            task,
            claimed: tick != Tick::Claim || !self.shared.store.durable(),
        });
        run_id
    }

    /// Schedules the tick after `last`. Ticks that are already past with a later one also past
    /// (the process stalled) are recorded as missed and only the latest runs.
    fn plan(
        &mut self,
        index: usize,
        last: DateTime<Utc>,
        now: DateTime<Utc>,
        plans: &mut PlanCache,
    ) {
        let cached = plans.get(&self.slots, index, last);
        let Some(slot) = self.slots[index].as_mut() else {
            return;
        };
        let Some(schedule) = &slot.schedule else {
            return;
        };
        let next = cached.or_else(|| {
            let mut next = schedule.next_after(last);
            let mut missed = false;
            // Only a tick that is already past can have a later one past too: the on-time path
            // computes one instant.
            while let Some(tick) = next.filter(|&tick| tick <= now) {
                match schedule.next_after(tick) {
                    Some(later) if later <= now => {
                        let detail = "the process was stalled or suspended past this tick, and \
                                      a later one was already due: the latest ran";
                        slot.history
                            .skipped_because(tick, SkipReason::Missed, detail.to_owned());
                        missed = true;
                        next = Some(later);
                    }
                    _ => break,
                }
            }
            let next = next.map(|next| (next, self.shared.clock.deadline(next)));
            // Reused only when no tick was missed, so that every job records its own.
            plans.last = next.filter(|_| !missed).map(|next| (index, last, next));
            next
        });
        slot.next = next.map(|(scheduled_at, _)| scheduled_at);
        let Some((scheduled_at, deadline)) = next else {
            return;
        };
        let (intended_at, at) = match slot.spec.options.jitter.map(random_below) {
            Some(jitter) if !jitter.is_zero() => (scheduled_at + jitter, deadline + jitter),
            _ => (scheduled_at, deadline),
        };
        self.timers.entry(at).or_default().push(Entry {
            slot: index,
            generation: slot.generation,
            scheduled_at,
            intended_at,
        });
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::RunEnded { slot, run_id } => self.finished(slot, run_id),
            // Shutdown counts the workers itself; the event only wakes its loop.
            Event::WorkerEnded => {}
            Event::WakeQueue(queue, at) => {
                if self.shared.stopping.load(Ordering::Acquire) {
                    return;
                }
                if self
                    .queue_armed
                    .get(&queue)
                    .is_some_and(|&armed| armed <= at)
                {
                    return;
                }
                let deadline = self.shared.clock.deadline(at);
                self.queue_armed.insert(Arc::clone(&queue), at);
                self.queue_timers.entry(deadline).or_default().push(queue);
            }
            Event::TakenOver { job, scheduled_at } => self.take_over(&job, scheduled_at),
            Event::Control(stored) => self.follow(&stored),
            Event::TickClaimed { slot, run_id } => {
                let runs = self.slots.get_mut(slot).and_then(Option::as_mut);
                let run = runs.and_then(|slot| {
                    slot.running
                        .iter_mut()
                        .find(|running| running.run_id == run_id)
                });
                if let Some(run) = run {
                    run.claimed = true;
                }
            }
        }
    }

    /// Follows a change of schedule or pause made in another process (or echoed from this one,
    /// which then changes nothing).
    fn follow(&mut self, stored: &StoredJob) {
        let Some(index) = self.shared.slot_of(&stored.job) else {
            return;
        };
        let Some(slot) = self.slots[index].as_mut() else {
            return;
        };
        if slot.paused.is_some() != stored.paused {
            tracing::info!(job = %stored.job, paused = stored.paused, "pause changed in the store");
            let now = self.shared.clock.now();
            slot.paused = stored
                .paused
                .then(|| Paused::new(stored.pause.as_ref(), now));
        }
        let current = slot.schedule.as_ref().map(reconcile::encode);
        let Some(wanted) = stored
            .schedule
            .as_ref()
            .filter(|&wanted| Some(wanted) != current.as_ref())
        else {
            return;
        };
        match reconcile::decode(wanted) {
            Ok(schedule) => {
                tracing::info!(job = %stored.job, schedule = %schedule, "schedule changed in the store");
                slot.schedule = Some(schedule);
                slot.generation += 1;
                let now = self.shared.clock.now();
                self.plan(index, now, now, &mut PlanCache::default());
            }
            Err(error) => {
                tracing::warn!(job = %stored.job, %error, "the stored schedule does not parse: the current one stays");
            }
        }
    }

    /// Runs a tick taken over from a process that died while it ran: it was claimed already, so
    /// it runs now, unless the job is paused, or running here under `overlap = "skip"`, which
    /// record it as skipped.
    fn take_over(&mut self, job: &Arc<str>, scheduled_at: DateTime<Utc>) {
        let stopping = self.shared.stopping.load(Ordering::Acquire);
        let slot = self
            .shared
            .slot_of(job)
            .and_then(|index| Some((index, self.slots[index].as_ref()?)));
        let skip = match slot {
            None => None,
            Some(_) if stopping => None,
            Some((_, slot)) if slot.paused.is_some() => Some(SkipReason::Paused),
            Some((_, slot))
                if slot.running.iter().any(|running| running.claimed)
                    && slot.spec.options.overlap == Overlap::Skip =>
            {
                Some(SkipReason::Overlap)
            }
            Some((index, _)) => {
                self.start(index, scheduled_at, scheduled_at, Tick::Held);
                return;
            }
        };
        if let (Some(reason), Some((_, slot))) = (skip, slot) {
            slot.history.skipped(scheduled_at, reason);
        }
        // Stopping, or no longer here: released for another process; skipped: finished.
        let released = skip.is_none();
        let shared = Arc::clone(&self.shared);
        let job = Arc::clone(job);
        self.shared.write("handing back a tick", move || {
            let (shared, job) = (Arc::clone(&shared), Arc::clone(&job));
            async move { shared.store.finish_tick(&job, scheduled_at, released).await }
        });
    }

    /// Wakes the workers of every queue whose timer is due.
    fn wake_queues(&mut self) {
        let now_instant = Instant::now();
        let now = self.shared.clock.now();
        while let Some(timer) = self.queue_timers.first_entry() {
            if *timer.key() > now_instant {
                break;
            }
            for queue in timer.remove() {
                if self
                    .queue_armed
                    .get(&queue)
                    .is_some_and(|&armed| armed <= now)
                {
                    self.queue_armed.remove(&queue);
                }
                Queues::wake_named(&self.shared, &queue);
            }
        }
    }

    fn finished(&mut self, index: usize, run_id: RunId) {
        let Some(slot) = self.slots.get_mut(index).and_then(Option::as_mut) else {
            self.orphans.retain(|running| running.run_id != run_id);
            return;
        };
        slot.running.retain(|running| running.run_id != run_id);
        if slot.running.is_empty() && !self.shared.stopping.load(Ordering::Acquire) {
            if let Some(scheduled_at) = slot.queued.pop_front() {
                self.start(index, scheduled_at, scheduled_at, Tick::Claim);
            }
        }
    }

    /// The slot of the job `name` names: commands are rare, so they find it in the catalog
    /// that enqueue uses rather than in a map of the scheduler's own.
    fn slot_named(&self, name: &str) -> Result<usize, Error> {
        self.shared.slot_named(name)
    }

    fn command(&mut self, command: Command) {
        let now = self.shared.clock.now();
        match command {
            Command::Trigger(name, reply) => {
                let result = self.slot_named(&name).and_then(|index| {
                    let Some(slot) = self.slots[index].as_ref() else {
                        return Err(Error::UnknownJob(name));
                    };
                    if !slot.spec.payload().is_empty() {
                        return Err(Error::PayloadRequired {
                            job: slot.spec.name.to_string(),
                        });
                    }
                    Ok(self.start(index, now, now, Tick::Local))
                });
                let _ = reply.send(result);
            }
            Command::Pause(name, pause, reply) => {
                let paused = Paused::new(Some(&pause), now);
                let _ = reply.send(self.set_paused(&name, Some(paused)));
            }
            Command::Resume(name, reply) => {
                let _ = reply.send(self.set_paused(&name, None));
            }
            Command::Reschedule(name, schedule, reply) => {
                let result = self.slot_named(&name).map(|index| {
                    if let Some(slot) = self.slots[index].as_mut() {
                        slot.schedule = Some(schedule);
                        slot.generation += 1;
                    }
                    self.plan(index, now, now, &mut PlanCache::default());
                });
                let _ = reply.send(result);
            }
            Command::Add(job, reply) => {
                let result = if let Some(existing) = self.shared.slot_of(&job.spec.name) {
                    Err(Error::DuplicateJob {
                        name: job.spec.name.to_string(),
                        first: self.slots[existing]
                            .as_ref()
                            .and_then(|slot| slot.spec.location())
                            .unwrap_or_else(|| "added at run time".to_owned()),
                        second: "added at run time".to_owned(),
                    })
                } else {
                    self.insert(job.spec, now, &mut PlanCache::default());
                    self.shared.serve_catalog();
                    Ok(())
                };
                let _ = reply.send(result);
            }
            Command::Remove(name, reply) => {
                let result = self.slot_named(&name).map(|index| {
                    // Runs already started finish, and shutdown still waits for them.
                    if let Some(slot) = self.slots[index].take() {
                        self.shared.remove_from_catalog(&slot.spec.name);
                        self.shared.serve_catalog();
                        self.orphans.extend(slot.running);
                    }
                });
                let _ = reply.send(result);
            }
            Command::CancelRun(run_id, reason, reply) => {
                let running = self
                    .slots
                    .iter()
                    .flatten()
                    .flat_map(|slot| &slot.running)
                    .chain(&self.orphans)
                    .find(|running| running.run_id == run_id);
                // It ends as every cancelled run does: its record says why, and `RunEnded`
                // removes it.
                let result = running
                    .map(|running| running.cancel(&self.shared, reason))
                    .ok_or(Error::UnknownRun(run_id));
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
                        paused: slot.paused.is_some(),
                        paused_since: slot.paused.as_ref().map(|paused| paused.since),
                        paused_by: slot.paused.as_ref().map(|paused| Arc::clone(&paused.by)),
                        queue: slot.spec.options.queue.clone(),
                        location: slot.spec.location(),
                        running: slot.running.len(),
                        running_runs: slot
                            .running
                            .iter()
                            .map(|running| (running.run_id, running.scheduled_at))
                            .collect(),
                    })
                    .collect();
                jobs.sort_by(|a, b| a.name.cmp(&b.name));
                let _ = reply.send(jobs);
            }
            Command::Shutdown => {}
        }
    }

    fn set_paused(&mut self, name: &str, paused: Option<Paused>) -> Result<(), Error> {
        let index = self.slot_named(name)?;
        if let Some(slot) = self.slots[index].as_mut() {
            // Pausing a paused job keeps when and by whom it was first paused.
            if paused.is_none() || slot.paused.is_none() {
                slot.paused = paused;
            }
        }
        Ok(())
    }

    /// Stops starting runs, lets running ones finish within the shutdown timeout, then cancels
    /// the rest and waits for their records. Ticks that come meanwhile are recorded as skipped,
    /// and commands are answered with [`Error::ShutDown`].
    async fn shut_down(mut self) {
        tracing::info!(timeout = ?self.shutdown_timeout, "job runtime shutting down");
        self.shared.stopping.store(true, Ordering::Release);
        self.shared.shutdown.send_replace(true);
        crate::enqueue::unregister(&self.shared);
        match self.shared.store.waiting().await {
            Ok(0) | Err(_) => {}
            Ok(waiting) if !self.shared.store.durable() => tracing::warn!(
                waiting,
                "enqueued jobs still waiting in memory are lost at shutdown; a durable store keeps them"
            ),
            Ok(waiting) => tracing::info!(waiting, "enqueued jobs wait in the store for the next start"),
        }
        for slot in self.slots.iter_mut().flatten() {
            for scheduled_at in slot.queued.drain(..) {
                slot.history.skipped(scheduled_at, SkipReason::Shutdown);
            }
        }
        let deadline = tokio::time::sleep(self.shutdown_timeout);
        tokio::pin!(deadline);
        let tick = tokio::time::sleep_until(Instant::now());
        tokio::pin!(tick);
        let mut cancelled = false;
        while self.running() {
            let next = self.timers.first_key_value().map(|(&at, _)| at);
            if let Some(at) = next {
                tick.as_mut().reset(at);
            }
            tokio::select! {
                biased;
                Some(event) = self.events.recv() => self.event(event),
                Some(command) = self.commands.recv() => refuse(command),
                () = &mut deadline, if !cancelled => {
                    cancelled = true;
                    let reason = format!(
                        "cancelled at shutdown: still running after the shutdown timeout of {}",
                        jobs_schedule::format_duration(self.shutdown_timeout)
                    );
                    let runs = self.slots.iter().flatten().flat_map(|slot| &slot.running);
                    for running in runs.chain(&self.orphans) {
                        running.cancel(&self.shared, reason.clone());
                    }
                    self.shared.queues.cancel_all(&self.shared, &reason);
                }
                () = &mut tick, if next.is_some() => self.skip_due_ticks(),
            }
        }
        // The ends of ticks still being written; past a lease they would be moot.
        self.shared.writes_settled(Duration::from_secs(10)).await;
        tracing::info!("job runtime stopped");
    }

    fn running(&self) -> bool {
        !self.orphans.is_empty()
            || self.shared.queues.workers() > 0
            || self
                .slots
                .iter()
                .flatten()
                .any(|slot| !slot.running.is_empty())
    }

    fn skip_due_ticks(&mut self) {
        let now_instant = Instant::now();
        let now = self.shared.clock.now();
        let mut plans = PlanCache::default();
        while let Some(timer) = self.timers.first_entry() {
            if *timer.key() > now_instant {
                break;
            }
            for entry in timer.remove() {
                let Some(slot) = self.slots[entry.slot].as_ref() else {
                    continue;
                };
                if slot.generation == entry.generation {
                    slot.history
                        .skipped(entry.scheduled_at, SkipReason::Shutdown);
                    self.plan(entry.slot, entry.scheduled_at, now, &mut plans);
                }
            }
        }
    }
}

/// The next instant (and its deadline) of the last job planned, reused for the next job when it
/// has an equal schedule and the same last tick: a burst of jobs on one schedule computes it once.
#[derive(Default)]
struct PlanCache {
    /// The slot, its last tick, and its next tick with the deadline.
    last: Option<(usize, DateTime<Utc>, Planned)>,
}

type Planned = (DateTime<Utc>, Instant);

impl PlanCache {
    fn get(&self, slots: &[Option<Slot>], index: usize, last: DateTime<Utc>) -> Option<Planned> {
        let (cached, cached_last, next) = self.last?;
        let schedule = |i: usize| slots.get(i)?.as_ref()?.schedule.as_ref();
        (cached_last == last && schedule(cached)? == schedule(index)?).then_some(next)
    }
}

/// Answers a command that arrives while shutting down.
fn refuse(command: Command) {
    match command {
        Command::Trigger(_, reply) => drop(reply.send(Err(Error::ShutDown))),
        Command::Pause(_, _, reply)
        | Command::Resume(_, reply)
        | Command::Reschedule(_, _, reply)
        | Command::Add(_, reply)
        | Command::Remove(_, reply)
        | Command::CancelRun(_, _, reply) => drop(reply.send(Err(Error::ShutDown))),
        Command::Jobs(_) | Command::Shutdown => {}
    }
}
