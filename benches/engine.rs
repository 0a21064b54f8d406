//! Criterion benches of the engine, fixed seeds throughout:
//! - the yearly step kernel of the benchmark model (`bench/logit-network`) at N = 10^3, 10^5, 10^6;
//! - the yearly step of the full model (`benches/scenarios/five-domains.toml`: five domains, every
//!   state a hedger, standards pull) at N = 10^5;
//! - one run of the benchmark model at N = 10^5 on 1 and 2 threads (its own work split over them);
//! - one whole run of the real-world baseline;
//! - a 64-run baseline batch on 1 and 2 threads (no output files);
//! - a 4-run batch of the benchmark model at N = 10^5 on 1 and 2 threads (parallel over runs, and
//!   over blocks of agents within a run);
//! - parsing and validating the baseline scenario;
//! - building the country world (gravity ties);
//! - writing the output tables of a 64-run baseline batch (summary.json, timeseries.csv,
//!   indices.csv, states.csv, runs.csv) to a temporary directory.
//!
//! Run with `cargo bench --bench engine`; `blocsim bench` gives the agent-updates-per-second report.

use std::hint::black_box;

use blocsim::Scenario;
use blocsim::batch::{BatchOptions, run_batch};
use blocsim::export::{self, RunsWriter};
use blocsim::model::Model;
use blocsim::rng::{Purpose, run_rng};
use blocsim::run::{Simulation, run_one, run_within};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn model(name: &str, sets: &[String]) -> Model {
    Model::from_scenario(Scenario::load(name, sets).expect("bundled scenario")).expect("model")
}

fn step_kernel(c: &mut Criterion) {
    let mut group = c.benchmark_group("step/logit-network");
    group.sample_size(10);
    for agents in [1_000usize, 100_000, 1_000_000] {
        let m = model("bench/logit-network", &[format!("world.synthetic.agents={agents}")]);
        let draws = m.scenario.draws(1, 0);
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

fn five_domains_step(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/scenarios/five-domains.toml");
    let m = model(path, &["world.synthetic.agents=100000".to_string()]);
    let draws = m.scenario.draws(1, 0);
    let mut sim = Simulation::new(&m, &draws, &mut run_rng(1, 0, Purpose::Setup));
    let mut rng = run_rng(1, 0, Purpose::Dynamics);
    let steps = m.layout.years - 1;
    let mut step = 0usize;
    let mut group = c.benchmark_group("step/five-domains");
    group.sample_size(10);
    group.throughput(Throughput::Elements((m.layout.states * m.layout.domains) as u64));
    group.bench_function("100000", |b| {
        b.iter(|| {
            step = step % steps + 1;
            sim.step(step, &mut rng);
            black_box(sim.alignment()[0])
        })
    });
    group.finish();
}

fn logit_one_run(c: &mut Criterion) {
    let m = model("bench/logit-network", &["world.synthetic.agents=100000".to_string()]);
    let mut group = c.benchmark_group("run/logit-network-100000-agents");
    group.sample_size(10);
    group.throughput(Throughput::Elements(100_000 * 50));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, &t| {
            b.iter(|| pool.install(|| black_box(run_within(&m, 1, 0, t).counts[0])))
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

fn logit_batch(c: &mut Criterion) {
    let m = model("bench/logit-network", &["world.synthetic.agents=100000".to_string()]);
    let mut group = c.benchmark_group("batch/logit-network-100000-agents-4-runs");
    group.sample_size(10);
    group.throughput(Throughput::Elements(100_000 * 50 * 4));
    for threads in [1usize, 2] {
        let opts = BatchOptions {
            runs: 4,
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

fn output_writing(c: &mut Criterion) {
    let m = model("baseline", &[]);
    let labels = m.labels();
    let outcomes: Vec<_> = (0..64).map(|r| run_one(&m, 1, r)).collect();
    let opts = BatchOptions {
        runs: 64,
        seed: 1,
        threads: Some(1),
        shard: None,
        detail: false,
        out: None,
        command: vec![],
    };
    let agg = run_batch(&m, &opts, &|_| {}).expect("batch").aggregator;
    let dir = tempfile::tempdir().expect("temporary directory");
    c.bench_function("output/baseline-64-runs-tables", |b| {
        b.iter(|| {
            let mut w = RunsWriter::create(&dir.path().join("runs.csv"), &labels).expect("runs.csv");
            for o in &outcomes {
                w.write(o).expect("write run");
            }
            w.finish().expect("finish runs.csv");
            for (name, bytes) in [
                ("summary.json", export::summary_json(&agg, &labels)),
                ("timeseries.csv", export::timeseries_csv(&agg, &labels)),
                ("indices.csv", export::indices_csv(&agg, &labels)),
                ("states.csv", export::states_csv(&agg, &labels)),
            ] {
                export::write_atomic(&dir.path().join(name), &bytes).expect("write table");
            }
        })
    });
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

criterion_group!(
    benches,
    step_kernel,
    five_domains_step,
    logit_one_run,
    baseline_run,
    baseline_batch,
    logit_batch,
    parsing,
    output_writing
);
criterion_main!(benches);
