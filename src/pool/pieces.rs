//! One parallel phase of a split run: a job cut into pieces that a few workers take in turn from a
//! shared counter, the calling thread being one of them.
//!
//! Rayon's own joins end a phase by waiting in its scheduler, which puts the waiting thread to
//! sleep after a few dozen empty polls; the last pieces of a phase often take longer than that,
//! and the wake-up then lands on the run's critical path. Here the caller waits for a worker that
//! has started by spinning, which lasts at most one piece, and withdraws a worker whose thread has
//! not picked it up (busy elsewhere), whose pieces the others have then taken.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// A helper worker not yet started, running, or finished (or withdrawn).
const WAITING: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;

/// Spins between two yields to the operating system while waiting for a worker.
const SPINS_PER_YIELD: u32 = 64;

/// Run pieces `0..pieces` of a job, each exactly once, by as many workers as `states`: worker w
/// calls `each(&mut states[w], piece)` for the pieces it takes in turn with the others, from the
/// front (even w: 0, 1, ...) or from the back (odd w: the last, the one before, ...) until the two
/// ends meet. So the caller, worker 0, and the first helper keep to the same ends of every phase,
/// and find the cells of their ranges in their own caches the next phase. The calling thread is
/// worker 0; the others are offered to the current pool's threads. Returns the states. Which
/// worker takes which piece depends on timing, so the results must not: e.g. integer sums, or
/// pieces writing their own parts of an output. `pieces` is below 2^31.
pub fn in_pieces<S: Send>(mut states: Vec<S>, pieces: usize, each: impl Fn(&mut S, usize) + Sync) -> Vec<S> {
    debug_assert!(pieces < 1 << 31, "pieces counted in 32 bits");
    // Pieces taken from the front (low 32 bits) and from the back (high 32 bits).
    let taken = AtomicU64::new(0);
    let take_all = |w: usize, state: &mut S| {
        let back = w % 2 == 1;
        loop {
            let old = taken.fetch_add(if back { 1 << 32 } else { 1 }, Ordering::Relaxed);
            let (front_taken, back_taken) = ((old & 0xffff_ffff) as usize, (old >> 32) as usize);
            if front_taken + back_taken >= pieces {
                break;
            }
            each(state, if back { pieces - 1 - back_taken } else { front_taken });
        }
    };
    if states.len() < 2 || rayon::current_num_threads() < 2 {
        if let Some(first) = states.first_mut() {
            take_all(0, first);
        }
        return states;
    }
    let helpers: Vec<Helper<S>> = states
        .drain(1..)
        .map(|s| Helper {
            status: AtomicU8::new(WAITING),
            state: Mutex::new(s),
        })
        .collect();
    rayon::in_place_scope(|scope| {
        for (w, h) in (1..).zip(&helpers) {
            let take_all = &take_all;
            scope.spawn(move |_| {
                if h.status
                    .compare_exchange(WAITING, RUNNING, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    // Set however the pieces end, so that the caller never waits for a panicked worker.
                    let _done = Done(&h.status);
                    take_all(w, &mut h.state.lock().unwrap_or_else(|e| e.into_inner()));
                }
            });
        }
        take_all(0, &mut states[0]);
        for h in &helpers {
            if h.status
                .compare_exchange(WAITING, DONE, Ordering::Acquire, Ordering::Acquire)
                .is_err()
            {
                wait_done(&h.status);
            }
        }
    });
    states.extend(helpers.into_iter().map(|h| h.state.into_inner().unwrap_or_else(|e| e.into_inner())));
    states
}

/// [`in_pieces`] with a piece per item of `items`: worker w calls `each(&mut states[w], i, &mut
/// items[i])` for the items it takes (disjoint parts of an output, e.g. `chunks_mut`).
pub fn in_pieces_over<S: Send, T: Send>(states: Vec<S>, items: Vec<T>, each: impl Fn(&mut S, usize, &mut T) + Sync) -> Vec<S> {
    // Each item is taken once, so its lock is never contended.
    let items: Vec<Mutex<T>> = items.into_iter().map(Mutex::new).collect();
    in_pieces(states, items.len(), |state, i| {
        each(state, i, &mut items[i].lock().unwrap_or_else(|e| e.into_inner()));
    })
}

/// A worker other than the caller, with its state.
struct Helper<S> {
    status: AtomicU8,
    state: Mutex<S>,
}

/// Spin until a running worker is done: it has no piece left to take, so at most until the end of
/// the one it holds.
fn wait_done(status: &AtomicU8) {
    let mut spins = 0u32;
    while status.load(Ordering::Acquire) != DONE {
        spins += 1;
        if spins.is_multiple_of(SPINS_PER_YIELD) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Marks its worker done when dropped.
struct Done<'a>(&'a AtomicU8);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.store(DONE, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    /// The pieces each worker took, in the order it took them. With several workers, threads and
    /// pieces, worker 0 holds its first piece until another worker has taken one (for at most
    /// 5 s), and every piece lasts 50 µs, so that the workers share the pieces.
    fn taken(workers: usize, pieces: usize) -> Vec<Vec<usize>> {
        let helped = AtomicBool::new(false);
        let states = (0..workers).map(|w| (w, Vec::new())).collect();
        let got = in_pieces(states, pieces, |(w, mine): &mut (usize, Vec<usize>), p| {
            if *w == 0 && mine.is_empty() && rayon::current_num_threads() > 1 && workers > 1 && pieces > 1 {
                let start = std::time::Instant::now();
                while !helped.load(Ordering::Acquire) && start.elapsed().as_secs() < 5 {
                    std::thread::yield_now();
                }
            } else if *w > 0 {
                helped.store(true, Ordering::Release);
            }
            std::thread::sleep(std::time::Duration::from_micros(50));
            mine.push(p);
        });
        got.into_iter().map(|(_, mine)| mine).collect()
    }

    #[test]
    fn every_piece_is_taken_once_from_the_workers_ends() {
        for threads in [1, 2, 3] {
            for (workers, pieces) in [(1, 5), (2, 0), (2, 1), (2, 64), (3, 64), (4, 7)] {
                let got = pool(threads).install(|| taken(workers, pieces));
                assert_eq!(got.len(), workers);
                let mut all: Vec<usize> = got.concat();
                all.sort_unstable();
                assert_eq!(all, (0..pieces).collect::<Vec<_>>(), "{threads} threads, {workers} workers");
                if threads > 1 && workers > 1 && pieces > 1 {
                    assert!(got[1..].iter().any(|mine| !mine.is_empty()), "a helper took pieces: {got:?}");
                }
                // Front takers go up from 0, back takers down from the last; between them, the
                // two ends cover every piece.
                let front: Vec<usize> = got.iter().step_by(2).flatten().copied().collect();
                let back: Vec<usize> = got.iter().skip(1).step_by(2).flatten().copied().collect();
                assert!(front.iter().all(|&p| back.iter().all(|&q| p < q)), "{got:?}");
                for (w, mine) in got.iter().enumerate() {
                    let ordered = mine.windows(2).all(|p| if w % 2 == 0 { p[0] < p[1] } else { p[0] > p[1] });
                    assert!(ordered, "worker {w} took {mine:?}");
                }
            }
        }
        // Outside any pool: the global pool's threads.
        assert_eq!(taken(2, 10).concat().len(), 10);
    }

    #[test]
    fn each_item_is_handed_to_one_worker_once() {
        for threads in [1, 2, 3] {
            let mut out = vec![0u32; 1000];
            let items: Vec<&mut [u32]> = out.chunks_mut(7).collect();
            let counted = pool(threads).install(|| {
                in_pieces_over(vec![0usize; 2], items, |seen, i, chunk: &mut &mut [u32]| {
                    *seen += chunk.len();
                    chunk.iter_mut().for_each(|x| *x += i as u32 + 1);
                })
            });
            assert_eq!(counted.iter().sum::<usize>(), 1000, "{threads} threads");
            assert!(out.iter().enumerate().all(|(j, &x)| x == (j / 7) as u32 + 1), "{threads} threads");
        }
    }

    #[test]
    fn a_helper_whose_thread_is_busy_is_withdrawn_and_the_caller_takes_every_piece() {
        let (busy, released) = (AtomicBool::new(false), AtomicBool::new(false));
        let got = pool(2).install(|| {
            rayon::join(
                || {
                    // Wait for the pool's other thread to be held below, then share the pieces.
                    while !busy.load(Ordering::Acquire) {
                        std::hint::spin_loop();
                    }
                    let got = in_pieces(vec![Vec::new(); 2], 16, |mine: &mut Vec<usize>, p| mine.push(p));
                    released.store(true, Ordering::Release);
                    got
                },
                || {
                    busy.store(true, Ordering::Release);
                    let start = std::time::Instant::now();
                    while !released.load(Ordering::Acquire) && start.elapsed().as_secs() < 10 {
                        std::hint::spin_loop();
                    }
                    released.load(Ordering::Acquire)
                },
            )
        });
        assert!(got.1, "the caller finished while the other thread was still held");
        assert_eq!(got.0, vec![(0..16).collect::<Vec<_>>(), vec![]]);
    }

    #[test]
    fn a_panicking_piece_panics_the_caller_and_leaves_the_pool_usable() {
        let pool = pool(2);
        for bad in [0, 63] {
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.install(|| in_pieces(vec![(); 2], 64, |_, p| assert_ne!(p, bad, "piece failed")))
            }));
            assert!(caught.is_err(), "piece {bad}");
        }
        assert_eq!(pool.install(|| taken(2, 8)).concat().len(), 8);
    }
}
