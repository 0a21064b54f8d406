//! What `blocsim check` prints: a scenario as it resolves against its world.

use std::fmt::Write;

use crate::model::utility::REGISTRY;
use crate::model::{Model, ModelAction, ModelEvent, NO_ANCHOR};
use crate::scenario::{Dist, Heterogeneity, Param, Revision, Scenario, SetValue, ShareMeasure};

/// A human-readable account of a model: world, parameters, resolved sets and events.
pub fn describe(m: &Model) -> String {
    let mut o = String::new();
    header(&mut o, m);
    frameworks(&mut o, m);
    domains(&mut o, m);
    uncertain(&mut o, &m.scenario);
    events(&mut o, m);
    o
}

/// The scenario, its file, world and time, and its global parameters, one line each.
fn header(o: &mut String, m: &Model) {
    let s = &m.scenario;
    let p = |x: Param| show(x, s);
    let _ = writeln!(o, "scenario    {}", s.name);
    if let Some(line) = s.description.lines().next() {
        let _ = writeln!(o, "            {line}");
    }
    let _ = writeln!(o, "file        {}", s.path().display());
    let _ = writeln!(o, "sha256      {}", crate::export::sha256_hex(s.resolved.as_bytes()));
    let _ = writeln!(o, "world       {} ({} ties)", m.world.description, m.world.ties.targets.len());
    let _ = writeln!(o, "time        {} to {} ({} yearly steps)", s.start, s.end, s.steps());
    let rev = match s.revision {
        Revision::Synchronous => "synchronous",
        Revision::Sequential => "sequential",
    };
    let _ = writeln!(o, "choice      lambda = {}, {rev} revision", p(s.lambda));
    let weights: Vec<String> = REGISTRY
        .iter()
        .map(|def| format!("{} = {}", def.term.key(), p(s.weights[def.term as usize])))
        .collect();
    let _ = writeln!(o, "utility     {}", weights.join(", "));
    let _ = writeln!(
        o,
        "investment  depreciation = {}, scale = {} of GDP",
        p(s.depreciation),
        p(s.investment_scale)
    );
    let het = match s.heterogeneity {
        Heterogeneity::None => "none".to_string(),
        Heterogeneity::Uniform(x) => format!("uniform(0, {x}) per state and framework"),
        Heterogeneity::Normal(x) => format!("normal(0, {x}) per state and framework"),
    };
    let _ = writeln!(o, "tastes      {het}");
    let _ = writeln!(o, "hedgers     {} states", m.hedgers.iter().filter(|&&h| h).count());
    let _ = writeln!(
        o,
        "batch       {} runs, seed {}, detail table {}",
        s.batch.runs,
        s.batch.seed,
        if s.batch.detail { "on" } else { "off" }
    );
}

/// Per framework: its home states, anchors, freedom ideal, group bonuses and sponsor.
fn frameworks(o: &mut String, m: &Model) {
    let s = &m.scenario;
    let p = |x: Param| show(x, s);
    let _ = writeln!(o, "\nframeworks");
    for (k, f) in s.framework_specs.iter().enumerate() {
        let homes = m.home[k].iter().filter(|&&h| h).count();
        let anchored: Vec<&str> = s.domain_specs.iter().filter(|d| d.anchored[k]).map(|d| d.name.as_str()).collect();
        let _ = write!(o, "  {:<8} home: {homes} states", f.name);
        if !anchored.is_empty() {
            let _ = write!(o, " (anchored in {})", anchored.join(", "));
        }
        if let Some(ideal) = f.freedom_ideal {
            let _ = write!(o, "; freedom ideal {ideal} (weight {})", p(f.freedom_weight));
        }
        let _ = writeln!(o);
        for (label, list) in [("affinity", &f.affinity), ("security", &f.security)] {
            if !list.is_empty() {
                let items: Vec<String> = list.iter().map(|(g, w, _)| format!("{g} {}", p(*w))).collect();
                let _ = writeln!(o, "           {label}: {}", items.join(", "));
            }
        }
        if let Some(sp) = &f.sponsor {
            let _ = writeln!(
                o,
                "           sponsor: {} million US$/year, {:?} strategy, {} eligible targets",
                p(sp.budget),
                sp.strategy,
                m.sponsor_targets[k].len()
            );
        }
    }
}

/// Per domain: its revision rate, switching cost and expected initial shares; then the rate's
/// covariates and the framework constants, when there are any.
fn domains(o: &mut String, m: &Model) {
    let s = &m.scenario;
    let n = m.world.len();
    let p = |x: Param| show(x, s);
    let _ = writeln!(
        o,
        "\ndomains     rate   cost   initial expected count share ({})",
        s.frameworks.join(" / ")
    );
    for (d, dom) in s.domain_specs.iter().enumerate() {
        let mut expected = vec![0.0; s.k()];
        for i in 0..n {
            let cell = d * n + i;
            if m.anchor[cell] != NO_ANCHOR {
                expected[m.anchor[cell] as usize] += 1.0;
            } else {
                for (e, v) in expected.iter_mut().zip(&dom.initial[m.initial_rule[cell] as usize].shares) {
                    *e += v;
                }
            }
        }
        let shares: Vec<String> = expected.iter().map(|e| format!("{:.3}", e / n as f64)).collect();
        let _ = writeln!(
            o,
            "  {:<9} {:<6} {:<6} {}",
            dom.name,
            p(dom.revision_rate),
            p(dom.switching_cost),
            shares.join(" / ")
        );
    }
    if !s.rate_covariates.is_empty() {
        let cs: Vec<String> = s.rate_covariates.iter().map(|(c, b)| format!("{} {}", c.key(), p(*b))).collect();
        let _ = writeln!(
            o,
            "\nrate covariates (logit scale, per SD over the states; the rate above is a mean state's)\n  {}",
            cs.join(" / ")
        );
    }
    if s.domain_specs.iter().any(|d| d.constants.iter().any(|&c| c != Param::Fixed(0.0))) {
        let _ = writeln!(o, "\nframework constants (reference {}: 0)", s.frameworks[0]);
        for dom in &s.domain_specs {
            let cs: Vec<String> = s.frameworks[1..]
                .iter()
                .zip(&dom.constants[1..])
                .map(|(f, &c)| format!("{f} {}", p(c)))
                .collect();
            let _ = writeln!(o, "  {:<9} {}", dom.name, cs.join(" / "));
        }
    }
}

/// The uncertain parameters with their distributions, then each joint set.
fn uncertain(o: &mut String, s: &Scenario) {
    if !s.uncertain.is_empty() {
        let _ = writeln!(o, "\nuncertain parameters (drawn per run)");
        for u in &s.uncertain {
            let _ = writeln!(o, "  {:<40} ~ {}", u.key, dist(&u.dist));
        }
    }
    for j in &s.joints {
        let _ = writeln!(o, "\njoint set {} (drawn together)", j.name);
        let _ = writeln!(o, "{}", joint_set(j));
    }
}

/// The resolved events, one line each: when, what, and for how long.
fn events(o: &mut String, m: &Model) {
    let s = &m.scenario;
    if !m.events.is_empty() {
        let _ = writeln!(o, "\nevents");
        for e in &m.events {
            let mut line = action(s, &e.action);
            if let Some(d) = e.duration {
                line.push_str(&format!(", for {d} years"));
            }
            let _ = writeln!(o, "  {}: {line}", when(s, e));
        }
    }
}

/// What a resolved event does, in words.
fn action(s: &Scenario, action: &ModelAction) -> String {
    let doms = |mask: &[bool]| -> String {
        s.domains
            .iter()
            .zip(mask)
            .filter(|(_, on)| **on)
            .map(|(d, _)| d.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    match action {
        ModelAction::Set { knob, value } => match value {
            SetValue::To(v) => format!("set {} = {v}", knob.key_path(&s.domains, &s.frameworks)),
            SetValue::Scale(f) => format!("scale {} by {f}", knob.key_path(&s.domains, &s.frameworks)),
        },
        ModelAction::Partnership {
            framework,
            states,
            domains,
            bonus,
        } => {
            format!(
                "partnership {} with {} states in {}: affinity {bonus:+}",
                s.frameworks[*framework],
                states.len(),
                doms(domains)
            )
        }
        ModelAction::ExportControl {
            framework,
            states,
            domains,
            penalty,
        } => format!(
            "export control by {} in {}: {} states penalised {penalty:+}",
            s.frameworks[*framework],
            doms(domains),
            states.len()
        ),
        ModelAction::Force {
            framework,
            states,
            domains,
            lock_years,
        } => format!(
            "force {} states onto {} in {} (locked {lock_years} more years)",
            states.len(),
            s.frameworks[*framework],
            doms(domains)
        ),
        ModelAction::Coordinate { states, domains } => {
            format!("bloc of {} states decides jointly in {}", states.len(), doms(domains))
        }
    }
}

/// When a resolved event applies: its year, or the year from which its condition is checked and the
/// condition.
fn when(s: &Scenario, e: &ModelEvent) -> String {
    let year = s.start + e.step as i32;
    match &e.when {
        None => format!("{year}"),
        Some(c) => format!(
            "from {year}, when {} {} share of {} {} {}",
            s.domains[c.domain],
            match c.measure {
                ShareMeasure::Gdp => "GDP",
                ShareMeasure::Count => "count",
            },
            s.frameworks[c.framework],
            if c.above { ">" } else { "<" },
            c.threshold
        ),
    }
}

fn show(p: Param, s: &crate::scenario::Scenario) -> String {
    match p {
        Param::Fixed(v) if v.is_infinite() => "inf".to_string(),
        Param::Fixed(v) => format!("{v}"),
        Param::Drawn(i) => format!("~{}", dist(&s.uncertain[i].dist)),
    }
}

/// A joint set's keys with their centre and range, and its correlations (normal) or its rows.
fn joint_set(j: &crate::scenario::Joint) -> String {
    use crate::scenario::joint::Source;
    let mut o = String::new();
    for (i, k) in j.keys.iter().enumerate() {
        let (lo, hi) = j.range(i);
        let _ = writeln!(o, "  {k:<40} centre {:.4}, range {lo:.4} to {hi:.4}", j.centre(i));
    }
    match &j.source {
        Source::Normal { chol, transform, .. } => {
            let n = chol.len();
            let cov = |a: usize, b: usize| (0..=a.min(b)).map(|t| chol[a][t] * chol[b][t]).sum::<f64>();
            let _ = writeln!(
                o,
                "  multivariate normal; transforms: {}",
                transform.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
            );
            for a in 0..n {
                let row: Vec<String> = (0..n)
                    .map(|b| format!("{:+.2}", cov(a, b) / (cov(a, a) * cov(b, b)).sqrt()))
                    .collect();
                let _ = writeln!(o, "  correlation {}", row.join(" "));
            }
        }
        Source::Rows(rows) => {
            let _ = writeln!(o, "  {} rows of a draws file, one drawn per run", rows.len());
        }
    }
    o.trim_end().to_string()
}

fn dist(d: &Dist) -> String {
    match d {
        Dist::Uniform { low, high } => format!("uniform({low}, {high})"),
        Dist::Normal { mean, sd } => format!("normal({mean}, {sd})"),
        Dist::Triangular { low, mode, high } => format!("triangular({low}, {mode}, {high})"),
        Dist::Beta { alpha, beta, low, high } => {
            format!("beta({alpha}, {beta}) on [{}, {}]", low.unwrap_or(0.0), high.unwrap_or(1.0))
        }
        Dist::Lognormal { mu, sigma } => format!("lognormal({mu}, {sigma})"),
        Dist::Joint { set } => format!("joint({set})"),
    }
}
