//! Keeping the current thread pool's idle threads awake through one job's many short parallel
//! phases.
//!
//! A run split over threads ([`crate::run::run_within`]) forks and joins several times a simulated
//! year, a few hundred microseconds apart. Rayon's idle threads go to sleep after a few dozen
//! empty polls, and waking one costs tens of microseconds on the critical path: on a 2-core
//! virtual machine, one run of 50 years at N = 10^5 slept and woke about 200 times, with a median
//! of 31 µs from wake-up to running. [`kept_awake`] runs a job while the pool's other threads
//! poll for work instead of sleeping, as OpenMP's active wait policy does.
//!
//! Only threads that are otherwise idle poll: a thread that is itself running a job under
//! [`kept_awake`] (another run of the batch) declines the request. A poller takes any pending work
//! of the pool, yields to the operating system every few dozen empty polls, and goes back to
//! rayon's own idling once the job ends or after [`MAX_IDLE`] without finding work. That bound also
//! keeps a rare interleaving harmless: a thread that stole a piece of the job just before its
//! request arrived can pick the request up while that piece waits in a join, and would otherwise
//! poll above the piece the job waits for, until the job's end.

mod pieces;

pub use pieces::{in_pieces, in_pieces_over};

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

thread_local! {
    /// Whether this thread is running a job under [`kept_awake`].
    static CALLER: Cell<bool> = const { Cell::new(false) };
}

/// Empty polls between two yields to the operating system (and two looks at the clock).
const POLLS_PER_YIELD: u32 = 64;

/// How long a poller goes on without finding work, after which it leaves the rest of the job to
/// rayon's own idling: far longer than the serial stretches between a run's yearly phases (tens
/// of microseconds at N = 10^5). A bound of 2 ms lost the gain (median speed-up 1.52x against
/// 1.71x in eight paired rounds), presumably because a longer serial stretch ended the polling
/// for the rest of the run.
const MAX_IDLE: Duration = Duration::from_millis(50);

/// Run `job` on this thread while the idle threads of the current pool (the global one when
/// called from outside any pool) poll for its parallel work instead of sleeping. In a pool of one
/// thread, or already under `kept_awake`, it simply runs `job`.
pub fn kept_awake<R>(job: impl FnOnce() -> R) -> R {
    if rayon::current_num_threads() < 2 || CALLER.get() {
        return job();
    }
    let me = rayon::current_thread_index();
    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    // Not scoped: the job never waits for a poller, and a request that a busy thread reaches only
    // after the job's end finds `done` set.
    rayon::spawn_broadcast(move |ctx| {
        if Some(ctx.index()) != me && !CALLER.get() {
            poll_until(&flag);
        }
    });
    // However `job` ends, `done` is set and the flag restored.
    let _done = Finish(done);
    let _caller = Caller::enter();
    job()
}

/// Take the pool's pending work until `done`, or until [`MAX_IDLE`] without any.
fn poll_until(done: &AtomicBool) {
    let mut empty = 0u32;
    let mut idle_since = Instant::now();
    while !done.load(Ordering::Acquire) {
        if rayon::yield_now() == Some(rayon::Yield::Executed) {
            empty = 0;
            continue;
        }
        if empty == 0 {
            idle_since = Instant::now();
        }
        empty += 1;
        if !empty.is_multiple_of(POLLS_PER_YIELD) {
            std::hint::spin_loop();
        } else if idle_since.elapsed() > MAX_IDLE {
            return;
        } else {
            std::thread::yield_now();
        }
    }
}

/// Sets its flag when dropped.
struct Finish(Arc<AtomicBool>);

impl Drop for Finish {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Marks this thread as a caller of [`kept_awake`] while it lives.
struct Caller(bool);

impl Caller {
    fn enter() -> Caller {
        Caller(CALLER.replace(true))
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        CALLER.set(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    #[test]
    fn a_job_runs_once_and_gives_its_value_in_and_out_of_pools() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let job = || {
            calls.fetch_add(1, Ordering::Relaxed);
            (0..1000u64).into_par_iter().sum::<u64>()
        };
        // Outside any pool: the global pool's threads poll.
        assert_eq!(kept_awake(job), 499_500);
        for threads in [1, 2, 3] {
            assert_eq!(pool(threads).install(|| kept_awake(job)), 499_500);
            // Nested: the inner call runs its job under the outer one's pollers.
            assert_eq!(pool(threads).install(|| kept_awake(|| kept_awake(job) + 1)), 499_501);
        }
        assert_eq!(calls.load(Ordering::Relaxed), 7);
        assert!(!CALLER.get(), "the flag is restored");
    }

    #[test]
    fn jobs_on_every_thread_of_a_pool_each_finish() {
        // As many kept-awake jobs as threads, each with parallel phases: every thread is a
        // caller, so none waits for another's end.
        for threads in [2, 3] {
            let sums: Vec<u64> = pool(threads).install(|| {
                (0..threads as u64 * 2)
                    .into_par_iter()
                    .map(|r| kept_awake(|| (0..50).map(|_| (0..2000u64).into_par_iter().map(|x| x * r).sum::<u64>()).sum()))
                    .collect()
            });
            let want: Vec<u64> = (0..threads as u64 * 2).map(|r| 50 * r * 1999 * 2000 / 2).collect();
            assert_eq!(sums, want, "{threads} threads");
        }
    }

    #[test]
    fn a_panicking_job_releases_the_pollers_and_panics() {
        let pool = pool(2);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| kept_awake(|| -> u32 { panic!("job failed") }))
        }));
        assert!(caught.is_err());
        // The pool still runs work, and the thread is no longer marked a caller.
        assert!(pool.install(|| kept_awake(|| CALLER.get())));
        assert!(!pool.install(|| CALLER.get()));
    }
}
