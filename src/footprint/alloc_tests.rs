//! Holds the memory estimates to the real allocations: a counting allocator (this test binary's
//! global allocator) tracks, per thread, the bytes live and their peak; each structure is built on
//! a one-thread pool and the bytes it holds are compared with its `footprint`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use super::*;

struct Counting;

thread_local! {
    static LIVE: Cell<u64> = const { Cell::new(0) };
    static PEAK: Cell<u64> = const { Cell::new(0) };
}

fn add(bytes: usize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get().wrapping_add(bytes as u64);
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

fn sub(bytes: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().wrapping_sub(bytes as u64)));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are plain
// thread-local cells that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        sub(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size);
        sub(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Bytes live on this thread, and their peak since the last call.
fn live_and_reset_peak() -> (u64, u64) {
    let live = LIVE.with(Cell::get);
    let peak = PEAK.with(|p| p.replace(live));
    (live, peak)
}

/// What the world, the model and (at its peak) one run of `scenario` with `sets` hold:
/// `[(what, allocated, reported by the structure, estimated from the sizes)]`.
fn held(scenario: &str, sets: &[&str]) -> Vec<(&'static str, u64, u64, u64)> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let scenario = Scenario::load(scenario, &sets).expect("scenario");
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    pool.install(|| {
        let copy = scenario.clone();
        let (l0, _) = live_and_reset_peak();
        let world = World::build(&copy.world).expect("world");
        let (l1, _) = live_and_reset_peak();
        let world_bytes = world.heap_bytes();
        let model = Model::build(copy, world).expect("model");
        let (l2, _) = live_and_reset_peak();
        let outcome = crate::run::run_one(&model, 1, 0);
        let (_, peak) = live_and_reset_peak();
        drop(outcome);
        let sizes = model_sizes(&model);
        vec![
            ("world", l1 - l0, world_bytes, World::footprint(&sizes)),
            ("model", l2 - l1, model.heap_bytes(), Model::footprint(&sizes)),
            ("run", peak - l2, 0, Simulation::footprint(&sizes)),
        ]
    })
}

/// Bytes by which an estimate may differ from the allocation on synthetic worlds: a few short
/// strings and lists (the description, K home flags' headers, per (d, k) arrays), whatever N.
const SLACK: u64 = 1024;

#[test]
fn each_structure_reports_what_it_allocates_and_the_estimates_are_exact_on_synthetic_worlds() {
    for (scenario, sets) in [
        ("bench/logit-network", vec!["world.synthetic.agents=20000"]),
        (
            "bench/logit-network",
            vec!["world.synthetic.agents=3001", "world.synthetic.degree=5"],
        ),
        ("benches/scenarios/five-domains.toml", vec!["world.synthetic.agents=20000"]),
    ] {
        for (what, real, reported, estimate) in held(scenario, &sets) {
            if what != "run" {
                assert_eq!(
                    reported, real,
                    "{scenario} {sets:?}: {what} reports {reported} bytes, allocated {real}"
                );
            }
            assert!(
                estimate.abs_diff(real) <= SLACK,
                "{scenario} {sets:?}: {what} estimated at {estimate} bytes, allocated {real}"
            );
        }
    }
}

#[test]
fn the_estimates_bound_the_real_world() {
    for (what, real, reported, estimate) in held("baseline", &[]) {
        if what != "run" {
            assert_eq!(reported, real, "baseline: {what} reports {reported} bytes, allocated {real}");
        }
        assert!(estimate >= real, "baseline: {what} estimated at {estimate} bytes, allocated {real}");
    }
}
