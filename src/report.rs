//! `report.html`: one self-contained page per output directory — the manifest, the summary table,
//! the most contested states and every chart (inline SVG, so the page needs no other file) — what a
//! researcher opens first. Written by the commands after the charts ([`crate::commands::plot`]), from
//! the saved files only, so the same directory gives the same bytes.

use std::fmt::Write as _;

use serde_json::Value;

use crate::error::Result;
pub use crate::export::html::esc;
use crate::export::html::page_head;
use crate::plot::data::Output;
use crate::plot::{Drawn, framework_colors, hex, swing};

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "\u{2013}".to_string(), |v| format!("{:.1}", 100.0 * v))
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "\u{2013}".to_string(), |v| format!("{v:.decimals$}"))
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// What each chart family shows, by file-name prefix: (prefix, section title, caption).
const SECTIONS: [(&str, &str, &str); 7] = [
    (
        "fan_count_",
        "Shares of states over time",
        "Each framework's share of states per year: median across runs (line), middle 50% and 90% of runs (bands).",
    ),
    (
        "fan_gdp_",
        "GDP-weighted shares over time",
        "As above, each state weighted by its GDP.",
    ),
    (
        "outcomes_",
        "Final shares across runs",
        "Histogram of each framework's share of states at the horizon, one panel per framework.",
    ),
    (
        "ternary_",
        "Ternary plots of final shares",
        "Each point is one run's final shares of the three frameworks; grey shading shows where runs concentrate.",
    ),
    (
        "swing_",
        "Swing states",
        "The most contested states: probability (share of runs) of ending on each framework.",
    ),
    (
        "map_",
        "World maps",
        "Each state's most likely framework at the horizon, shaded by its probability.",
    ),
    (
        "indices",
        "Fragmentation and hedging",
        "System-wide indices over time: median and middle 50% / 90% of runs.",
    ),
];

/// Write `report.html` into the output directory; returns its relative name.
pub fn write_report(out: &Output, drawn: &Drawn) -> Result<String> {
    let html = render(out, drawn)?;
    crate::export::write_atomic(&out.dir.join("report.html"), html.as_bytes())?;
    Ok("report.html".to_string())
}

/// The page, as text: the header, the summary at the horizon, the indices, the most contested
/// states, the charts and the manifest.
pub fn render(out: &Output, drawn: &Drawn) -> Result<String> {
    let colors = framework_colors(&out.frameworks);
    let mut h = String::new();
    lead(&mut h, out, drawn);
    summary(&mut h, out, &colors);
    indices(&mut h, out);
    contested(&mut h, out);
    charts(&mut h, out, drawn)?;
    manifest(&mut h, out);
    let _ = writeln!(h, "</tbody>\n</table>\n</body>\n</html>");
    Ok(h)
}

/// The page's head, the lead paragraph, the navigation and the drawing notes.
fn lead(h: &mut String, out: &Output, drawn: &Drawn) {
    let m = &out.manifest;
    let title = format!("blocsim report: {}", out.scenario);
    page_head(h, &title);
    let _ = writeln!(
        h,
        "<p class=\"lead\">{} runs, seed {}, blocsim {}{}. World: {}.</p>",
        out.runs,
        out.seed,
        esc(&m.blocsim_version),
        out.shard.as_ref().map_or_else(String::new, |s| format!(", shard {}", esc(s))),
        esc(&m.world)
    );
    let _ = writeln!(
        h,
        "<nav><a href=\"#summary\">Summary</a> <a href=\"#contested\">Most contested states</a> <a href=\"#charts\">Charts</a> <a href=\"#manifest\">Manifest</a></nav>"
    );
    for note in &drawn.notes {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(note));
    }
}

/// The shares of every framework at the horizon, per domain.
fn summary(h: &mut String, out: &Output, colors: &[plotters::style::RGBColor]) {
    // summary table
    let _ = writeln!(h, "<h2 id=\"summary\">Summary at the horizon</h2>");
    let years = out
        .summary
        .get("years")
        .and_then(Value::as_array)
        .and_then(|a| a.get(1))
        .and_then(Value::as_i64);
    let _ = writeln!(
        h,
        "<p>Share of states and GDP-weighted share of each framework in {}, across runs: median, with the middle 90% of runs (p05\u{2013}p95) in brackets, in percent.</p>",
        years.map_or_else(|| "the final year".to_string(), |y| y.to_string())
    );
    let _ = writeln!(
        h,
        "<table>\n<thead><tr><th>domain</th><th>framework</th><th>share of states (%)</th><th>GDP-weighted share (%)</th><th>mean share of states (%)</th></tr></thead>\n<tbody>"
    );
    for d in &out.domains {
        for (k, f) in out.frameworks.iter().enumerate() {
            let s = |key: &str, stat: &str| get(&out.summary, &[key, d, f, stat]).and_then(Value::as_f64);
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><span class=\"sw\" style=\"background:{}\"></span>{}</td><td class=\"n\">{} [{}\u{2013}{}]</td><td class=\"n\">{} [{}\u{2013}{}]</td><td class=\"n\">{}</td></tr>",
                esc(d),
                hex(colors[k]),
                esc(f),
                pct(s("final_share", "p50")),
                pct(s("final_share", "p05")),
                pct(s("final_share", "p95")),
                pct(s("final_gdp_share", "p50")),
                pct(s("final_gdp_share", "p05")),
                pct(s("final_gdp_share", "p95")),
                pct(s("final_share", "mean")),
            );
        }
    }
    let _ = writeln!(h, "</tbody>\n</table>");
}

/// The fragmentation and hedging indices at the horizon.
fn indices(h: &mut String, out: &Output) {
    let _ = writeln!(
        h,
        "<table>\n<thead><tr><th>index at the horizon</th><th>median</th><th>p05\u{2013}p95</th></tr></thead>\n<tbody>"
    );
    for (key, label) in [("fragmentation", "fragmentation (0\u{2013}1)"), ("hedging", "hedging (0\u{2013}1)")] {
        let s = |stat: &str| get(&out.summary, &[key, stat]).and_then(Value::as_f64);
        let _ = writeln!(
            h,
            "<tr><td>{label}</td><td class=\"n\">{}</td><td class=\"n\">{}\u{2013}{}</td></tr>",
            num(s("p50"), 3),
            num(s("p05"), 3),
            num(s("p95"), 3)
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");
}

/// The state–domain pairs whose most likely framework is least certain.
fn contested(h: &mut String, out: &Output) {
    // most contested states, all domains
    let _ = writeln!(h, "<h2 id=\"contested\">Most contested states</h2>");
    let _ = writeln!(
        h,
        "<p>The state\u{2013}domain pairs whose most likely framework is least certain: probability (% of runs) of ending on each framework.</p>"
    );
    let rows = swing::most_contested(out.states.iter().collect(), 15);
    let _ = write!(h, "<table>\n<thead><tr><th>state</th><th>domain</th>");
    for f in &out.frameworks {
        let _ = write!(h, "<th>{}</th>", esc(f));
    }
    let _ = writeln!(h, "<th>most likely</th></tr></thead>\n<tbody>");
    for r in rows {
        let _ = write!(
            h,
            "<tr><td>{} <span class=\"id\">{}</span></td><td>{}</td>",
            esc(&r.name),
            esc(&r.id),
            esc(out.domains.get(r.domain).map_or("?", String::as_str))
        );
        for p in &r.probs {
            let _ = write!(h, "<td class=\"n\">{:.1}</td>", 100.0 * p);
        }
        let _ = writeln!(
            h,
            "<td>{}</td></tr>",
            esc(out.frameworks.get(r.modal()).map_or("?", String::as_str))
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");
}

/// Every chart drawn, inline, by section.
fn charts(h: &mut String, out: &Output, drawn: &Drawn) -> Result<()> {
    // charts
    let _ = writeln!(h, "<h2 id=\"charts\">Charts</h2>");
    let _ = writeln!(
        h,
        "<p>Every chart is also in <code>plots/</code> as SVG (vector, for papers) and PNG. One colour per framework throughout: {}.</p>",
        legend(out)
    );
    for (prefix, section, caption) in SECTIONS {
        let svgs: Vec<&String> = drawn
            .files
            .iter()
            .filter(|f| f.ends_with(".svg") && f.trim_start_matches("plots/").starts_with(prefix))
            .collect();
        if svgs.is_empty() {
            continue;
        }
        let _ = writeln!(h, "<h3>{}</h3>\n<p>{}</p>", esc(section), esc(caption));
        for rel in svgs {
            let path = out.dir.join(rel);
            let svg = std::fs::read_to_string(&path).map_err(|source| crate::error::Error::Read {
                path: path.clone(),
                source,
            })?;
            let svg = svg.trim_start();
            let svg = match svg.strip_prefix("<?xml") {
                Some(rest) => rest.split_once("?>").map_or(rest, |(_, r)| r).trim_start(),
                None => svg,
            };
            let png = rel.trim_end_matches(".svg").to_string() + ".png";
            let _ = writeln!(
                h,
                "<figure>\n{svg}\n<figcaption><a href=\"{}\">{}</a> \u{b7} <a href=\"{}\">PNG</a></figcaption>\n</figure>",
                esc(rel),
                esc(rel),
                esc(&png)
            );
        }
    }
    Ok(())
}

/// What produced the directory (the results' files, not the charts and this page).
fn manifest(h: &mut String, out: &Output) {
    let m = &out.manifest;
    // manifest
    let _ = writeln!(h, "<h2 id=\"manifest\">Manifest</h2>\n<table>\n<tbody>");
    let mrow = |h: &mut String, k: &str, v: String| {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), v);
    };
    mrow(h, "blocsim version", esc(&m.blocsim_version));
    mrow(h, "scenario", esc(&m.scenario));
    mrow(h, "scenario path", format!("<code>{}</code>", esc(&m.scenario_path)));
    mrow(h, "scenario sha256", format!("<code>{}</code>", esc(&m.scenario_sha256)));
    mrow(h, "seed", m.seed.to_string());
    mrow(h, "runs (whole batch)", m.runs.to_string());
    mrow(h, "runs in this directory", out.runs.to_string());
    mrow(h, "shard", m.shard.as_ref().map_or_else(|| "\u{2013}".to_string(), |s| esc(s)));
    mrow(h, "threads", m.threads.to_string());
    mrow(h, "wall time (s)", format!("{:.2}", m.wall_seconds));
    mrow(h, "world", esc(&m.world));
    mrow(h, "command", format!("<code>{}</code>", esc(&m.command.join(" "))));
    // The results, not the charts and this page (which the manifest also lists once drawn), so that
    // redrawing a directory gives the same page.
    mrow(
        h,
        "files",
        m.paths()
            .filter(|f| !crate::export::outputs::is_drawn(f))
            .map(|f| format!("<code>{}</code>", esc(f)))
            .collect::<Vec<_>>()
            .join(" "),
    );
}

fn legend(out: &Output) -> String {
    let colors = framework_colors(&out.frameworks);
    out.frameworks
        .iter()
        .zip(colors)
        .map(|(f, c)| format!("<span class=\"sw\" style=\"background:{}\"></span>{}", hex(c), esc(f)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `report.html` of a comparison directory: the comparison chart inline, the paired differences of
/// every outcome, the most shifted states and the manifest. Reads `comparison.json`,
/// `manifest.json` and `plots/comparison.svg` (when drawn); returns the file name written.
pub fn write_comparison_report(dir: &std::path::Path) -> Result<String> {
    let read = |name: &str| -> Result<Vec<u8>> {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| crate::error::Error::Read { path, source })
    };
    let bad = |name: &str, message: String| crate::error::Error::Data {
        path: dir.join(name),
        line: 1,
        message,
    };
    let c: Value = serde_json::from_slice(&read("comparison.json")?).map_err(|e| bad("comparison.json", e.to_string()))?;
    let m = crate::export::Manifest::from_json(&read("manifest.json")?).map_err(|e| bad("manifest.json", e))?;
    let svg = read("plots/comparison.svg").ok().map(|b| String::from_utf8_lossy(&b).to_string());
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    let title = format!("blocsim comparison: {}", m.scenario);
    let mut h = String::new();
    page_head(&mut h, &title);
    let _ = writeln!(
        h,
        "<p class=\"lead\">{} paired runs on common random numbers (run r of both scenarios uses the same random streams), seed {}, blocsim {}. Differences are alternative − baseline at the horizon, with 95% confidence intervals (Student t); P(higher) is the share of runs in which the alternative is higher.</p>",
        m.runs,
        m.seed,
        esc(&m.blocsim_version)
    );
    if let Some(svg) = svg {
        let _ = writeln!(h, "<figure>{svg}</figure>");
    }
    let _ = writeln!(
        h,
        "<h2>Paired differences</h2>\n<table>\n<tr><th>outcome</th><th>domain</th><th>framework</th><th>baseline</th><th>alternative</th><th>difference</th><th>95% CI</th><th>P(higher)</th></tr>"
    );
    for o in c.get("outcomes").and_then(Value::as_array).into_iter().flatten() {
        let d = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:+.4}"));
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>[{}, {}]</td><td>{}</td></tr>",
            esc(&s(o, "outcome")),
            esc(&s(o, "domain")),
            esc(&s(o, "framework")),
            num(f(o, "baseline_mean"), 4),
            num(f(o, "alternative_mean"), 4),
            d(f(o, "diff_mean")),
            d(f(o, "ci_low")),
            d(f(o, "ci_high")),
            num(f(o, "p_higher"), 2)
        );
    }
    let _ = writeln!(
        h,
        "</table>\n<h2>States whose alignment changes most</h2>\n<table>\n<tr><th>state</th><th>domain</th><th>shift</th><th>baseline</th><th>alternative</th></tr>"
    );
    for st in c.get("most_shifted_states").and_then(Value::as_array).into_iter().flatten() {
        let probs = |k: &str| -> String {
            st.get(k).and_then(Value::as_object).map_or(String::new(), |o| {
                o.iter()
                    .map(|(fw, p)| format!("{} {}", esc(fw), pct(p.as_f64())))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        let _ = writeln!(
            h,
            "<tr><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s(st, "name")),
            esc(&s(st, "state")),
            esc(&s(st, "domain")),
            num(f(st, "shift"), 2),
            probs("baseline"),
            probs("alternative")
        );
    }
    let manifest = String::from_utf8_lossy(&m.to_json()).to_string();
    let _ = writeln!(h, "</table>\n<h2>Manifest</h2>\n<pre>{}</pre>\n</body>\n</html>", esc(&manifest));
    crate::export::write_atomic(&dir.join("report.html"), h.as_bytes())?;
    Ok("report.html".to_string())
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
