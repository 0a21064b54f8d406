//! The benchmark model ("logit-network", see `scenarios/bench/logit-network.toml`) as a straightforward
//! hand-written single-file Rust program: the yardstick that `blocsim bench` is compared with.
//!
//! Struct-of-arrays state, `u8` options, one ChaCha8 stream per run, two uniform draws and three
//! `exp()` per revision. Per run: each of N agents gets m = 16 out-neighbours drawn uniformly without
//! replacement from the other N − 1 (weight 1/m), affinities b_ik ~ U(0, 1), an option drawn
//! uniformly; then T synchronous steps in which each agent revises with probability rho = 0.5 and
//! picks k with probability ∝ exp(lambda (b_ik + J c_ik / m)), c_ik = neighbours on k (J = 2, lambda = 1).
//! Runs are spread over `--threads` OS threads.
//!
//! Build and run (same pinned rand 0.10 / rand_chacha 0.10 as blocsim):
//! `cargo run --release --example handwritten -- --agents 100000 --steps 50 --runs 4 --threads 1`
//!
//! Prints one JSON object: sizes, setup and step seconds, agent-updates per second (N·T·R / total
//! seconds, setup included, as `blocsim bench` counts it) and the final share of each option per run.

use std::time::Instant;

use rand::RngExt;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

const K: usize = 3;
const M: usize = 16;
const RHO: f64 = 0.5;
const J: f64 = 2.0;
const LAMBDA: f64 = 1.0;

struct Args {
    agents: usize,
    steps: usize,
    runs: usize,
    threads: usize,
    seed: u64,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        agents: 100_000,
        steps: 50,
        runs: 4,
        threads: 1,
        seed: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag}: missing value"))?;
        let n: u64 = value.parse().map_err(|_| format!("{flag} {value}: expected a whole number"))?;
        match flag.as_str() {
            "--agents" => a.agents = n as usize,
            "--steps" => a.steps = n as usize,
            "--runs" => a.runs = n as usize,
            "--threads" => a.threads = (n as usize).max(1),
            "--seed" => a.seed = n,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.agents <= M {
        return Err(format!("--agents must exceed {M}"));
    }
    Ok(a)
}

/// One run: returns (setup seconds, step seconds, final share of each option).
fn run(n: usize, steps: usize, seed: u64, run: u64) -> (f64, f64, [f64; K]) {
    let t0 = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(run);
    let mut nbr = vec![0u32; n * M];
    for i in 0..n {
        for (slot, j) in nbr[i * M..(i + 1) * M].iter_mut().zip(index::sample(&mut rng, n - 1, M).iter()) {
            *slot = if j >= i { j as u32 + 1 } else { j as u32 };
        }
    }
    let b: Vec<f64> = (0..n * K).map(|_| rng.random::<f64>()).collect();
    let mut cur: Vec<u8> = (0..n).map(|_| rng.random_range(0..K as u8)).collect();
    let mut next = cur.clone();
    let t1 = Instant::now();
    for _ in 0..steps {
        for i in 0..n {
            if rng.random::<f64>() >= RHO {
                next[i] = cur[i];
                continue;
            }
            let mut c = [0u32; K];
            for &j in &nbr[i * M..(i + 1) * M] {
                c[cur[j as usize] as usize] += 1;
            }
            let mut w = [0.0; K];
            let mut total = 0.0;
            for k in 0..K {
                w[k] = (LAMBDA * (b[i * K + k] + J * f64::from(c[k]) / M as f64)).exp();
                total += w[k];
            }
            let mut v = rng.random::<f64>() * total;
            let mut pick = K - 1;
            for (k, &wk) in w.iter().enumerate() {
                if v < wk {
                    pick = k;
                    break;
                }
                v -= wk;
            }
            next[i] = pick as u8;
        }
        std::mem::swap(&mut cur, &mut next);
    }
    let t2 = Instant::now();
    let mut share = [0.0; K];
    for &a in &cur {
        share[a as usize] += 1.0;
    }
    share.iter_mut().for_each(|s| *s /= n as f64);
    ((t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64(), share)
}

fn main() {
    let a = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let mut results: Vec<(f64, f64, [f64; K])> = vec![(0.0, 0.0, [0.0; K]); a.runs];
    std::thread::scope(|s| {
        let chunks: Vec<_> = (0..a.threads)
            .map(|t| {
                let a = &a;
                s.spawn(move || {
                    (t..a.runs)
                        .step_by(a.threads)
                        .map(|r| (r, run(a.agents, a.steps, a.seed, r as u64)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in chunks {
            for (r, res) in h.join().expect("worker thread") {
                results[r] = res;
            }
        }
    });
    let wall = started.elapsed().as_secs_f64();
    let setup: f64 = results.iter().map(|r| r.0).sum();
    let step: f64 = results.iter().map(|r| r.1).sum();
    let updates = (a.agents * a.steps * a.runs) as f64;
    let shares: Vec<String> = results
        .iter()
        .map(|r| format!("[{:.6},{:.6},{:.6}]", r.2[0], r.2[1], r.2[2]))
        .collect();
    println!(
        "{{\"program\":\"handwritten\",\"agents\":{},\"steps\":{},\"runs\":{},\"threads\":{},\"wall_seconds\":{wall:.6},\"setup_cpu_seconds\":{setup:.6},\"step_cpu_seconds\":{step:.6},\"agent_updates_per_second\":{:.1},\"final_shares\":[{}]}}",
        a.agents,
        a.steps,
        a.runs,
        a.threads,
        updates / wall,
        shares.join(",")
    );
}
