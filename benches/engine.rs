//! Criterion benches of the engine, fixed seeds throughout:
//! - the yearly step kernel of the benchmark model (`bench/logit-network`) at N = 10^3, 10^5, 10^6;
//! - one whole run of the real-world baseline;
//! - a 64-run baseline batch on 1 and 2 threads (no output files);
//! - parsing and validating the baseline scenario;
//! - building the country world (gravity ties).
//!
//! Run with `cargo bench --bench engine`; `blocsim bench` gives the agent-updates-per-second report.

use std::hint::black_box;

use blocsim::Scenario;
use blocsim::batch::{BatchOptions, run_batch};
use blocsim::model::Model;
use blocsim::rng::{Purpose, run_rng};
use blocsim::run::{Simulation, run_one};
use blocsim::scenario::param;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn model(name: &str, sets: &[String]) -> Model {
    Model::from_scenario(Scenario::load(name, sets).expect("bundled scenario")).expect("model")
}

fn step_kernel(c: &mut Criterion) {
    let mut group = c.benchmark_group("step/logit-network");
    group.sample_size(10);
    for agents in [1_000usize, 100_000, 1_000_000] {
        let m = model("bench/logit-network", &[format!("world.synthetic.agents={agents}")]);
        let draws = param::draw_all(&m.scenario.uncertain, &mut run_rng(1, 0, Purpose::Parameters));
        let mut sim = Simulation::new(&m, &draws, &mut run_rng(1, 0, Purpose::Setup));
        let mut rng = run_rng(1, 0, Purpose::Dynamics);
        let mut step = 0usize;
        group.throughput(Throughput::Elements(agents as u64));
        group.bench_with_input(BenchmarkId::from_parameter(agents), &agents, |b, _| {
            b.iter(|| {
                step = step % 50 + 1;
                sim.step(step, &mut rng);
                black_box(sim.alignment()[0])
            })
        });
    }
    group.finish();
}

fn baseline_run(c: &mut Criterion) {
    let m = model("baseline", &[]);
    let mut run = 0u64;
    c.bench_function("run/baseline", |b| {
        b.iter(|| {
            run += 1;
            black_box(run_one(&m, 1, run).counts[0])
        })
    });
}

fn baseline_batch(c: &mut Criterion) {
    let m = model("baseline", &[]);
    let mut group = c.benchmark_group("batch/baseline-64-runs");
    group.sample_size(10);
    for threads in [1usize, 2] {
        let opts = BatchOptions {
            runs: 64,
            seed: 1,
            threads: Some(threads),
            shard: None,
            detail: false,
            out: None,
            command: vec![],
        };
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, _| {
            b.iter(|| black_box(run_batch(&m, &opts, &|_| {}).expect("batch").aggregator.runs()))
        });
    }
    group.finish();
}

fn parsing(c: &mut Criterion) {
    c.bench_function("scenario/parse-baseline", |b| {
        b.iter(|| black_box(Scenario::load("baseline", &[]).expect("parse").k()))
    });
    let s = Scenario::load("baseline", &[]).expect("parse");
    c.bench_function("world/countries-gravity", |b| {
        b.iter(|| black_box(blocsim::World::build(&s.world).expect("world").len()))
    });
}

criterion_group!(benches, step_kernel, baseline_run, baseline_batch, parsing);
criterion_main!(benches);
