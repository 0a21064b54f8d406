//! What the page needs to draw itself, sent once (`GET /api/setup`): the baseline's frameworks
//! (with their Okabe-Ito colours, as in the charts), domains, years and states; the world map's
//! outlines projected once (Equal Earth, as the CLI's maps); the sliders of the scalar parameters;
//! the bundled what-ifs built on the baseline with their events; defaults and limits.
//!
//! A slider's range comes from the parameter's distribution when it is uncertain (uniform,
//! triangular and scaled beta: their support; normal: mean ± 3 sd; log-normal: exp(mu ± 3 sigma);
//! beta without bounds: 0 to 1), else from its documented bounds: revision rates are probabilities
//! (0 to 1), and the other parameters, all non-negative, run from 0 to twice the baseline value
//! (0 to 1 when that value is 0). A slider left alone keeps the scenario's value or distribution;
//! moved, it becomes a `--set PATH=VALUE`. A drawn parameter's slider carries its distribution
//! (`dist`), so the page can either fix the parameter at the slider's value (its uncertainty
//! dropped) or shift the whole distribution to the slider's centre (`--set PATH={ dist = ... }`).

use serde_json::{Value, json};

use crate::commands::serve::{Explorer, MAX_SERVE_RUNS};
use crate::plot::map::{Geo, equal_earth};

/// Pixels per unit of the Equal Earth projection in the page's map.
const MAP_SCALE: f64 = 150.0;

/// The setup document.
pub fn setup(ex: &Explorer, max_body: usize) -> Value {
    let m = ex.baseline();
    let s = &m.scenario;
    let colors: Vec<String> = crate::plot::framework_colors(&s.frameworks)
        .iter()
        .map(|c| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2))
        .collect();
    let whatifs: Vec<Value> = ex
        .whatifs()
        .iter()
        .map(|(name, description, events)| json!({"name": name, "description": description, "events": events}))
        .collect();
    json!({
        "baseline": s.name,
        "baseline_arg": ex.baseline_arg(),
        "description": s.description,
        "frameworks": s.frameworks,
        "colors": colors,
        "domains": s.domains,
        "years": (s.start..=s.end).collect::<Vec<_>>(),
        "states": m.world.ids.iter().zip(m.world.all_names()).map(|(i, n)| json!([i, n])).collect::<Vec<_>>(),
        "map": map(&m.world.ids.to_vec()),
        "sliders": sliders(&s.resolved, &s.domains, &s.frameworks),
        "whatifs": whatifs,
        "runs": s.batch.runs.min(MAX_SERVE_RUNS),
        "seed": s.batch.seed,
        "max_runs": MAX_SERVE_RUNS,
        "max_body": max_body,
        "threads": ex.threads(),
    })
}

/// SVG paths of the outlined states and positions of the others, in pixels.
fn map(ids: &[String]) -> Value {
    let geo = Geo::for_states(ids);
    let pt = |lon: f64, lat: f64| {
        let (x, y) = equal_earth(lon, lat);
        (x * MAP_SCALE, -y * MAP_SCALE)
    };
    let mut paths = serde_json::Map::new();
    for id in ids {
        if let Some(rings) = geo.shapes.get(id) {
            let mut d = String::new();
            for ring in rings {
                for (n, &(lon, lat)) in ring.iter().enumerate() {
                    let (x, y) = pt(lon, lat);
                    d.push_str(&format!("{}{x:.1},{y:.1}", if n == 0 { "M" } else { "L" }));
                }
                d.push('Z');
            }
            paths.insert(id.clone(), Value::String(d));
        }
    }
    let dots: serde_json::Map<String, Value> = geo
        .dots
        .iter()
        .map(|(id, &(lon, lat))| {
            let (x, y) = pt(lon, lat);
            (id.clone(), json!([(x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0]))
        })
        .collect();
    let (w, _) = equal_earth(180.0, 0.0);
    let (_, h) = equal_earth(0.0, 90.0);
    json!({"paths": paths, "dots": dots, "width": 2.0 * w * MAP_SCALE, "height": 2.0 * h * MAP_SCALE})
}

/// The scalar parameters a slider can move, with their ranges, from the resolved scenario.
fn sliders(resolved: &str, domains: &[String], frameworks: &[String]) -> Vec<Value> {
    let Ok(doc) = resolved.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut keys: Vec<(String, String)> = vec![("choice.lambda".into(), "logit intensity λ".into())];
    if let Some(u) = doc.get("utility").and_then(|u| u.as_table()) {
        keys.extend(u.keys().map(|k| (format!("utility.{k}"), format!("weight of the {k} term"))));
    }
    for d in domains {
        keys.push((format!("domain.{d}.switching_cost"), format!("{d}: switching cost")));
        keys.push((format!("domain.{d}.revision_rate"), format!("{d}: revision rate (per year)")));
    }
    for f in frameworks {
        keys.push((
            format!("framework.{f}.sponsor.budget"),
            format!("{f} sponsor budget (US$ million a year)"),
        ));
    }
    keys.into_iter()
        .filter_map(|(key, label)| {
            let v = lookup(&doc, &key)?;
            let (low, high, value, drawn) = range(&key, v)?;
            let step = nice_step((high - low) / 200.0);
            // A drawn parameter's distribution, for the page to shift it rather than fix it.
            let dist = drawn.as_ref().and_then(|_| serde_json::to_value(v).ok());
            Some(json!({"key": key, "label": label, "low": low, "high": high, "value": value, "step": step, "drawn": drawn, "dist": dist}))
        })
        .collect()
}

fn lookup<'a>(doc: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let mut cur = doc.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_table()?.get(p)?;
    }
    Some(cur)
}

/// (low, high, starting value, description of the distribution if drawn).
fn range(key: &str, v: &toml::Value) -> Option<(f64, f64, f64, Option<String>)> {
    let num = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    if let Some(x) = num(v) {
        let (lo, hi) = if key.ends_with("revision_rate") {
            (0.0, 1.0)
        } else if x > 0.0 {
            (0.0, 2.0 * x)
        } else {
            (0.0, 1.0)
        };
        return Some((lo, hi, x, None));
    }
    if key == "choice.lambda" && v.as_str() == Some("inf") {
        return None;
    }
    let t = v.as_table()?;
    let g = |k: &str| t.get(k).and_then(num);
    let dist = t.get("dist")?.as_str()?;
    let (lo, hi, mid) = match dist {
        "uniform" => (g("low")?, g("high")?, (g("low")? + g("high")?) / 2.0),
        "triangular" => (g("low")?, g("high")?, g("mode")?),
        "normal" => (g("mean")? - 3.0 * g("sd")?, g("mean")? + 3.0 * g("sd")?, g("mean")?),
        "lognormal" => (
            (g("mu")? - 3.0 * g("sigma")?).exp(),
            (g("mu")? + 3.0 * g("sigma")?).exp(),
            g("mu")?.exp(),
        ),
        "beta" => {
            let (lo, hi) = (g("low").unwrap_or(0.0), g("high").unwrap_or(1.0));
            let (a, b) = (g("alpha")?, g("beta")?);
            (lo, hi, lo + (hi - lo) * a / (a + b))
        }
        _ => return None,
    };
    let f = |x: f64| format!("{}", (x * 1e4).round() / 1e4);
    let text = match dist {
        "uniform" => format!("uniform {}–{}", f(lo), f(hi)),
        "triangular" => format!("triangular {}–{}, mode {}", f(lo), f(hi), f(mid)),
        "normal" => format!("normal {} ± {}", f(mid), f(g("sd")?)),
        "lognormal" => format!("lognormal μ {} σ {}", f(g("mu")?), f(g("sigma")?)),
        _ => format!("beta({}, {}) on {}–{}", f(g("alpha")?), f(g("beta")?), f(lo), f(hi)),
    };
    Some((lo, hi, mid, Some(text)))
}

/// A round step (1, 2 or 5 times a power of ten) near `x`.
fn nice_step(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 0.01;
    }
    let p = 10f64.powf(x.log10().floor());
    let m = x / p;
    let f = if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    f * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_distributions_and_bounds() {
        let v: toml::Table = "a = { dist = \"uniform\", low = 1.5, high = 3.0 }\nb = 0.25\nc = 0\n"
            .parse()
            .unwrap();
        assert_eq!(
            range("choice.lambda", &v["a"]).unwrap().0..range("choice.lambda", &v["a"]).unwrap().1,
            1.5..3.0
        );
        assert_eq!(range("domain.x.revision_rate", &v["b"]).unwrap().1, 1.0);
        assert_eq!(range("utility.econ", &v["b"]).unwrap().1, 0.5);
        assert_eq!(range("utility.econ", &v["c"]).unwrap().1, 1.0);
        assert_eq!(nice_step(0.0073), 0.005);
        assert_eq!(nice_step(60.0), 50.0);
    }
}
