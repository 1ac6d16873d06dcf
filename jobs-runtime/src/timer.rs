//! The scheduler's wait for its next deadline: tokio's timer until shortly before it, then a
//! thread of its own for the last stretch.
//!
//! tokio's timer wheel counts whole milliseconds and rounds every deadline up to the next one, so
//! a tick fired through it alone starts up to a millisecond late. A thread can do better: it
//! sleeps in the kernel until just before the deadline and spins the last [`SPIN`] of it, since
//! the kernel wakes a sleeper tens of microseconds late. Both together: the wheel carries the
//! long wait for free, and the thread only sees the last [`FINE`] of it. The thread blocks on a
//! channel while nothing is due, so an idle runtime wakes no more often than with tokio's timer
//! alone; each firing costs one wake-up of that thread and at most [`SPIN`] of its CPU.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

/// How long before a deadline the wait moves from tokio's timer to the thread: more than the
/// wheel's millisecond of rounding, so that the coarse wake-up comes before the deadline.
const FINE: Duration = Duration::from_millis(2);

/// A deadline to wait for; [`Deadline::reset`] moves it.
pub(crate) struct Deadline {
    /// Whether the last stretch is waited for on the thread. Not with a simulated clock: on
    /// paused tokio time the thread's real sleep would stall a simulation that should take no
    /// time at all.
    precise: bool,
    at: Instant,
    state: State,
}

enum State {
    Coarse(Pin<Box<Sleep>>),
    Fine(oneshot::Receiver<()>),
    Done,
}

impl Deadline {
    pub(crate) fn new(at: Instant, precise: bool) -> Self {
        Self {
            precise,
            at,
            state: Self::coarse(at, precise),
        }
    }

    pub(crate) fn reset(&mut self, at: Instant) {
        self.at = at;
        self.state = Self::coarse(at, self.precise);
    }

    fn coarse(at: Instant, precise: bool) -> State {
        let until = if precise {
            at.checked_sub(FINE).unwrap_or(at)
        } else {
            at
        };
        State::Coarse(Box::pin(tokio::time::sleep_until(until)))
    }
}

impl Future for Deadline {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                State::Coarse(sleep) => {
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let now = Instant::now();
                    self.state = if self.precise && self.at > now {
                        State::Fine(wake_at(self.at.into_std()))
                    } else {
                        State::Done
                    };
                }
                State::Fine(woken) => match Pin::new(woken).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(())) => self.state = State::Done,
                    // The thread could not start: tokio's timer alone, from now on.
                    Poll::Ready(Err(_)) => {
                        self.precise = false;
                        self.state = State::Coarse(Box::pin(tokio::time::sleep_until(self.at)));
                    }
                },
                State::Done => return Poll::Ready(()),
            }
        }
    }
}

type Request = (std::time::Instant, oneshot::Sender<()>);

/// How long before a deadline the timer thread stops sleeping and spins: about the kernel's
/// wake-up latency for a sleeping thread.
const SPIN: Duration = Duration::from_micros(150);

fn spin_until(at: std::time::Instant) {
    while std::time::Instant::now() < at {
        std::hint::spin_loop();
    }
}

/// A receiver that resolves at `at`, on the timer thread.
fn wake_at(at: std::time::Instant) -> oneshot::Receiver<()> {
    static THREAD: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let (sender, receiver) = oneshot::channel();
    let requests = THREAD.get_or_init(|| {
        let (requests, incoming) = mpsc::channel();
        let started = std::thread::Builder::new()
            .name("jobs-timer".into())
            .spawn(move || run(&incoming));
        if let Err(error) = started {
            // The requests' senders are dropped with the channel, and each wait falls back to
            // tokio's timer.
            tracing::warn!(%error, "cannot start the precise timer thread");
        }
        Mutex::new(requests)
    });
    let requests = requests.lock().unwrap_or_else(PoisonError::into_inner);
    // A send fails only if the thread could not start; the dropped sender ends the wait.
    let _ = requests.send((at, sender));
    receiver
}

/// The timer thread: sleeps until the earliest request, answers every due one.
fn run(incoming: &mpsc::Receiver<Request>) {
    let mut due: BinaryHeap<Reverse<(std::time::Instant, Waiting)>> = BinaryHeap::new();
    loop {
        let next = match due.peek() {
            None => incoming.recv().ok(),
            Some(Reverse((at, _))) => {
                // The kernel wakes a sleeper tens of microseconds late; the last stretch is spun
                // (at most `SPIN` of CPU per firing), so the answer leaves on time.
                let wake = at.checked_sub(SPIN).unwrap_or(*at);
                let wait = wake.saturating_duration_since(std::time::Instant::now());
                if wait.is_zero() {
                    spin_until(*at);
                    None
                } else {
                    match incoming.recv_timeout(wait) {
                        Ok(request) => Some(request),
                        Err(mpsc::RecvTimeoutError::Timeout) => None,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
            }
        };
        if let Some((at, sender)) = next {
            due.push(Reverse((at, Waiting(sender))));
        } else if due.is_empty() {
            // The channel closed while nothing was due: the process is ending.
            return;
        }
        let now = std::time::Instant::now();
        while due.peek().is_some_and(|Reverse((at, _))| *at <= now) {
            if let Some(Reverse((_, Waiting(sender)))) = due.pop() {
                // The waiter may have moved on (a reset): nobody to tell then.
                let _ = sender.send(());
            }
        }
    }
}

/// A waiting sender, ordered by nothing: the heap orders requests by their instant alone.
struct Waiting(oneshot::Sender<()>);

impl PartialEq for Waiting {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiting {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On real time: the precise wait may be late by the kernel's wake-up latency, which no test
    /// should bound on a shared machine, but it is never early, which is what a tick relies on.
    #[tokio::test]
    async fn a_precise_deadline_never_ends_early() {
        for ahead_us in [0, 300, 1_500, 2_500, 10_000] {
            let at = Instant::now() + Duration::from_micros(ahead_us);
            Deadline::new(at, true).await;
            assert!(
                Instant::now() >= at,
                "ended before a deadline {ahead_us}µs ahead"
            );
        }
    }

    #[tokio::test]
    async fn a_reset_moves_the_deadline() {
        let start = Instant::now();
        let mut deadline = Deadline::new(start + Duration::from_millis(1), true);
        let later = start + Duration::from_millis(6);
        deadline.reset(later);
        deadline.await;
        assert!(Instant::now() >= later);
    }

    /// A simulated clock waits on tokio's timer alone, so paused time jumps over the wait.
    #[tokio::test(start_paused = true)]
    async fn without_precision_the_wait_is_tokio_time() {
        let at = Instant::now() + Duration::from_secs(3600);
        Deadline::new(at, false).await;
        assert_eq!(Instant::now(), at);
    }

    #[test]
    fn the_thread_answers_each_request_at_or_after_its_instant_whatever_the_order() {
        let now = std::time::Instant::now();
        // The later one first: the thread must not sleep past the earlier one behind it.
        let mut late = wake_at(now + Duration::from_millis(20));
        let mut early = wake_at(now + Duration::from_millis(5));
        // Blocking receives: the thread sends from outside any runtime.
        let wait = |receiver: &mut oneshot::Receiver<()>| loop {
            match receiver.try_recv() {
                Ok(()) => return std::time::Instant::now(),
                Err(oneshot::error::TryRecvError::Empty) => {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(oneshot::error::TryRecvError::Closed) => panic!("the thread dropped a request"),
            }
        };
        let early_at = wait(&mut early);
        let late_at = wait(&mut late);
        assert!(early_at >= now + Duration::from_millis(5));
        assert!(late_at >= now + Duration::from_millis(20));
    }
}
