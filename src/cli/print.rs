//! What the command line prints for each command's result: tables on stdout, the summary line
//! (where the files went, how long it took) on stderr. One function per command.

use std::path::Path;

use crate::analysis::discover::Discovery;
use crate::analysis::sensitivity::Sensitivity;
use crate::analysis::sweep::Sweep;
use crate::bench::BenchReport;
use crate::commands::merge::MergeDone;
use crate::commands::{BatchDone, CalibrateDone, CompareDone, ExperimentDone, Finished, ForecastDone, HindcastDone, PlotDone, RunDone};
use crate::server::{ServeOptions, Server};

/// Print what a command returned (`serve` binds and serves here, until the process ends).
pub(super) fn finished(f: Finished) -> anyhow::Result<()> {
    match f {
        Finished::Text(text) => print!("{text}"),
        Finished::Run(d) => run(&d),
        Finished::Batch(d) => batch(&d),
        Finished::Merge(d) => merge(&d),
        Finished::Plot(dir, d) => plot(&dir, &d),
        Finished::Compare(d) => compare(&d),
        Finished::Serve(o) => serve(Server::bind(&o)?, &o),
        Finished::Sweep(d) => sweep(&d),
        Finished::Sensitivity(d) => sensitivity(&d),
        Finished::Discover(d) => discover(&d),
        Finished::Bench(report, json) => bench(&report, json),
        Finished::Calibrate(d) => calibrate(&d),
        Finished::Forecast(d) => forecast(&d),
        Finished::Hindcast(d) => hindcast(&d),
    }
    Ok(())
}

/// `run`: where the run went.
fn run(done: &RunDone) {
    eprintln!(
        "wrote run {} of {} (seed {}) to {}",
        done.run,
        done.scenario,
        done.seed,
        done.dir.display()
    );
}

/// `batch`: what was run, how, and where it went (or that a resumed batch was already complete).
fn batch(done: &BatchDone) {
    let dir = done.dir.display();
    if done.already_complete {
        eprintln!(
            "{dir}: the batch is already complete ({} runs of {}); nothing to resume",
            done.range.end - done.range.start,
            done.scenario
        );
        return;
    }
    match (done.resume, done.resumed_at) {
        (true, Some(at)) => eprintln!("resumed at run {at} from the checkpoint in {dir}"),
        (true, None) => eprintln!("no checkpoint in {dir}: ran from the first run"),
        _ => {}
    }
    let what = done.shard.map_or_else(String::new, |s| {
        format!(
            " (shard {s}: runs {}..{} of {}; merge the shards with `blocsim merge`)",
            done.range.start, done.range.end, done.runs
        )
    });
    eprintln!(
        "{} runs of {} on {} threads in {:.2} s -> {dir}{what}",
        done.range.end - done.range.start,
        done.scenario,
        done.threads,
        done.wall_seconds,
    );
}

/// `merge`: what was merged, into where.
fn merge(done: &MergeDone) {
    let m = &done.merged;
    eprintln!(
        "merged {} shards ({} runs of {}) -> {}",
        m.shards,
        m.runs,
        m.scenario,
        done.dir.display()
    );
}

/// `plot`: how many files were drawn, and where to look.
fn plot(dir: &Path, done: &PlotDone) {
    let to = if done.experiment {
        crate::commands::plot::plots_dir(dir)
    } else {
        dir.join(crate::export::outputs::REPORT)
    };
    eprintln!("drew {} files -> {}", done.files.len(), to.display());
}

/// `compare`: the Markdown comparison, then where the files went.
fn compare(done: &CompareDone) {
    print!("{}", done.comparison.to_markdown());
    eprintln!(
        "{} paired runs of {} vs {} -> {}",
        done.runs,
        done.alternative,
        done.baseline,
        done.dir.display()
    );
}

/// `serve`: the address (and a warning off loopback), then serve until stopped.
fn serve(server: Server, o: &ServeOptions) {
    if !o.bind.is_loopback() {
        eprintln!(
            "warning: listening on {}: anyone who can reach this machine can use the page and its CPU (use --bind 127.0.0.1 to keep it local)",
            o.bind
        );
    }
    println!("blocsim serve: {} (baseline {}; Ctrl-C to stop)", server.url(), server.baseline);
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    server.run();
}

/// `sweep`: its warnings, then its size and where it went.
fn sweep(done: &ExperimentDone<Sweep>) {
    let sweep = &done.result;
    for w in &sweep.warnings {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "{} design points x {} replications of {} in {:.2} s -> {}",
        sweep.points.len(),
        sweep.plan.runs,
        sweep.scenario,
        done.seconds,
        done.dir.display()
    );
}

/// `sensitivity`: the indices as text, then its size and where it went.
fn sensitivity(done: &ExperimentDone<Sensitivity>) {
    let a = &done.result;
    print!("{}", a.to_text());
    eprintln!(
        "{} design points x {} replications of {} in {:.2} s -> {}",
        a.points.len(),
        a.plan.runs,
        a.scenario,
        done.seconds,
        done.dir.display()
    );
}

/// `discover`: the boxes as text, then where they went.
fn discover(done: &ExperimentDone<Discovery>) {
    print!("{}", done.result.to_text());
    eprintln!("PRIM boxes -> {}", done.dir.display());
}

/// `bench`: the table, or the JSON record.
fn bench(report: &BenchReport, json: bool) {
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
}

/// `calibrate`: the estimates table, a warning if the maximisation did not converge, where it went.
fn calibrate(done: &CalibrateDone) {
    print!("{}", crate::calibrate::output::estimates_table(&done.fit, &done.summary));
    if !done.fit.converged {
        eprintln!("warning: the maximisation did not converge in {} iterations", done.fit.iterations);
    }
    eprintln!("wrote {} ({:.2} s)", done.dir.display(), done.seconds);
}

/// `forecast`: the expected number of acts by year, per indicator, then where it went.
fn forecast(done: &ForecastDone) {
    let d = &done.dated;
    println!(
        "{} histories at risk at the end of {}, {} runs; expected acts by year (sum of P):",
        d.spells.spells.len(),
        d.last,
        d.runs
    );
    for (ind, list) in d.spells.by_indicator() {
        let sums: Vec<String> = (0..(d.horizon - d.last) as usize)
            .map(|t| {
                format!(
                    "{} {:.1}",
                    d.last + 1 + t as i32,
                    list.iter().map(|&h| d.multi[h].by_year[t]).sum::<f64>()
                )
            })
            .collect();
        println!("  {ind:<24} {}", sums.join("  "));
    }
    eprintln!("wrote {} ({:.2} s)", done.dir.display(), done.seconds);
}

/// `hindcast`: the pooled scores per window and model, the score differences, where it went.
fn hindcast(done: &HindcastDone) {
    println!(
        "{:<34} {:>6} {:>6} {:>10} {:>8} {:>8} {:>8}",
        "window: model", "n", "events", "log score", "Brier", "ROC-AUC", "PR-AUC"
    );
    for (w, m, _, s) in done.scores.iter().filter(|(_, _, i, _)| i == "pooled") {
        println!(
            "{:<34} {:>6} {:>6} {:>10.4} {:>8.5} {:>8.3} {:>8.3}",
            format!("{w}: {m}"),
            s.n,
            s.events,
            s.log_score,
            s.brier,
            s.roc_auc,
            s.pr_auc
        );
    }
    for (w, m, score, v, lo, hi) in &done.differences {
        println!("{w}: calibrated - {m:<24} {score:<9} {v:+.5} (95% {lo:+.5} to {hi:+.5})");
    }
    eprintln!("wrote {} ({:.2} s)", done.dir.display(), done.seconds);
}
