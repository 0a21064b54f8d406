//! `blocsim calibrate`: estimate the free weights of a scenario by maximum likelihood of an observed
//! panel's decisions, and write the estimates, their covariance, the profiles, the fit statistics
//! and a scenario that `extends` the original with the estimates.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::calibrate::codebook::Codebook;
use crate::calibrate::covariates::CovariatePath;
use crate::calibrate::observations::{CellModel, Summary, build};
use crate::calibrate::output::{self, Context};
use crate::calibrate::panel::Panel;
use crate::calibrate::{Fit, estimate, params};
use crate::error::Error;
use crate::model::Knobs;
use crate::options::{Output, Source};

/// What `calibrate` should do: estimate weights by maximum likelihood of an observed panel's
/// decisions (default --out: output/<scenario>/calibrate).
#[derive(Debug, Clone, clap::Args)]
pub struct CalibrateCommand {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub source: Source,
    /// The observed panel and the keys to estimate.
    #[command(flatten)]
    pub panel: crate::options::Panel,
    /// Calendar years whose revisions are fitted, FIRST:LAST (default 2018:2021).
    #[arg(long, value_name = "FIRST:LAST")]
    pub fit_years: Option<String>,
    /// Skip the profile likelihoods.
    #[arg(long)]
    pub no_profiles: bool,
    /// Output directory (None: `output/<scenario>/calibrate`).
    #[command(flatten)]
    pub output: Output,
    /// The command line, for the manifest (set by the caller).
    #[arg(skip)]
    pub command: Vec<String>,
}

/// What `calibrate` did.
#[derive(Debug, Clone)]
pub struct CalibrateDone {
    /// The output directory.
    pub dir: PathBuf,
    /// The maximum-likelihood fit: estimates, standard errors, profiles.
    pub fit: Fit,
    /// What the panel held: events, observations, covered cells.
    pub summary: Summary,
    /// Wall-clock seconds the command took.
    pub seconds: f64,
}

/// Parse `FIRST:LAST`.
pub fn parse_years(text: &str) -> Result<(i32, i32), Error> {
    let bad = || Error::Usage(format!("--fit-years {text}: expected FIRST:LAST, e.g. 2018:2021"));
    let (a, b) = text.split_once(':').ok_or_else(bad)?;
    let (a, b): (i32, i32) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if a > b {
        return Err(Error::Usage(format!("--fit-years {text}: the first year is after the last")));
    }
    Ok((a, b))
}

/// Load, estimate, write.
pub fn calibrate(c: CalibrateCommand) -> anyhow::Result<CalibrateDone> {
    let t0 = std::time::Instant::now();
    let (first, last) = parse_years(c.fit_years.as_deref().unwrap_or("2018:2021"))?;
    let model = super::load(&c.source.scenario, c.source.sets())?;
    let s = &model.scenario;
    CovariatePath::check_window(&model, first, last)?;
    let codebook = Codebook::load(&c.panel.observed.join("codebook.toml"), &s.frameworks, &s.domains)?;
    if codebook.first_year > first || codebook.last_year < last {
        return Err(Error::Usage(format!(
            "--fit-years {first}:{last}: outside the panel's horizon {}-{} ({})",
            codebook.first_year,
            codebook.last_year,
            codebook.path.display()
        ))
        .into());
    }
    let panel = Panel::load(
        &c.panel.observed.join("events.csv"),
        &codebook,
        &model.world.ids.to_vec(),
        &s.domains,
    )?;
    let draws = params::centre_draws(s);
    let knobs = Knobs::realize(s, &draws);
    let layers = codebook.layers();
    let acted = |name: &str| panel.has_row_in(name, first, last);
    let keys = if c.panel.free.is_empty() {
        params::default_keys(&layers, acted)
    } else {
        c.panel.free.clone()
    };
    let free = params::parse_free_with(&keys, s, &knobs, &layers)?;
    let mut path = CovariatePath::new(&model, &draws, s.batch.seed);
    let cells = CellModel::new(&model, &free)?.with_filtered_partners();
    let (problem, _, mut summary) = build(&cells, &panel, &codebook, first, last, &mut path)?;
    if summary.events == 0 {
        return Err(Error::Usage(format!(
            "{}: no outcome event falls in the fit years {first}:{last}: nothing to estimate from",
            panel.path.display()
        ))
        .into());
    }
    let key = |k: &str| free.iter().position(|p| p.key == k);
    let start: Vec<f64> = free.iter().map(|p| p.to_internal(p.start)).collect();
    summary.econ_network_correlation = key("utility.econ")
        .zip(key("utility.network"))
        .and_then(|(a, b)| crate::calibrate::inference::slope_correlation(&problem.utility_slopes(&start), problem.frameworks, a, b));
    let fit = estimate(&problem, &free, !c.no_profiles)?;
    let dir = c
        .output
        .out
        .unwrap_or_else(|| PathBuf::from("output").join(&s.name).join("calibrate"));
    let _lock = crate::outdir::prepare(&dir, c.output.force)?;
    let extends = extends_of(&c.source.scenario);
    let seconds = t0.elapsed().as_secs_f64();
    let ctx = Context {
        scenario: s.name.clone(),
        extends,
        observed: c.panel.observed.display().to_string(),
        fit_years: (first, last),
        lambda: knobs.lambda,
        seconds,
    };
    output::write_all(&dir, &fit, &free, &summary, &ctx).with_context(|| format!("writing {}", dir.display()))?;
    let mut files: Vec<String> = output::FILES.iter().map(|f| f.to_string()).collect();
    if !c.no_profiles {
        files.extend(crate::plot::profiles::plot_profiles(
            &dir,
            &s.name,
            &crate::plot::PlotOptions::default(),
        )?);
    }
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    write_manifest(&dir, &model, &names, c.command, seconds, (0, 1))?;
    Ok(CalibrateDone {
        dir,
        fit,
        summary,
        seconds,
    })
}

/// What a calibrated scenario's `extends` names for `scenario`: its bundled name, or the file's
/// absolute path.
pub(super) fn extends_of(scenario: &str) -> String {
    match crate::scenario::bundled::get(scenario) {
        Some(_) if !std::path::Path::new(scenario).is_file() => scenario.to_string(),
        _ => std::fs::canonicalize(scenario)
            .unwrap_or_else(|_| PathBuf::from(scenario))
            .display()
            .to_string(),
    }
}

/// Write `manifest.json` of a calibrate or hindcast directory: the scenario, its hash, the command
/// and every file with its sha256.
pub(super) fn write_manifest(
    dir: &std::path::Path,
    model: &crate::model::Model,
    files: &[&str],
    command: Vec<String>,
    seconds: f64,
    (runs, threads): (u64, usize),
) -> crate::error::Result<()> {
    let s = &model.scenario;
    let mut manifest = crate::export::Manifest {
        blocsim_version: env!("CARGO_PKG_VERSION").to_string(),
        output_format: crate::outcomes::OUTPUT_FORMAT,
        stream_layout: crate::rng::STREAM_LAYOUT,
        scenario: s.name.clone(),
        scenario_path: s.path().display().to_string(),
        scenario_sha256: crate::export::sha256_hex(s.resolved.as_bytes()),
        seed: s.batch.seed,
        runs,
        threads,
        shard: None,
        command,
        wall_seconds: seconds,
        world: model.world.description.clone(),
        files: Vec::new(),
        run: None,
        merged_from: None,
    };
    manifest.set_files(files.iter().copied().chain([crate::export::MANIFEST_FILE]));
    manifest.write(dir)
}
