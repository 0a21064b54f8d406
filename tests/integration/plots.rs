//! Charts and report: every chart exists, SVGs parse, PNGs decode and are not blank, `plot`
//! reproduces the files byte for byte, and report.html renders in headless Chromium.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use blocsim::commands::plot::draw_batch as plot_all;
use blocsim::plot::{PlotOptions, framework_colors};

use crate::support::Test;

const DOMAINS: [&str; 5] = ["telecom", "cloud", "data", "ai", "dpi"];

/// `blocsim ARGS`, which must succeed.
fn blocsim(args: &[&str]) {
    Test::with(args).run().success();
}

/// A batch of 40 baseline runs with charts, written once for all tests (under cargo's temporary
/// directory for integration tests, replaced on each run).
fn baseline() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plots-baseline");
        if out.exists() {
            std::fs::remove_dir_all(&out).expect("clear old output");
        }
        blocsim(&[
            "batch",
            "baseline",
            "--runs",
            "40",
            "--seed",
            "7",
            "--threads",
            "2",
            "--out",
            out.to_str().expect("utf-8"),
            "--plot-scale",
            "1.5",
        ]);
        out
    })
}

fn expected_stems() -> Vec<String> {
    let mut v = Vec::new();
    for d in DOMAINS {
        for p in ["fan_count_", "fan_gdp_", "outcomes_", "ternary_", "swing_", "map_"] {
            v.push(format!("{p}{d}"));
        }
    }
    v.push("ternary_all".into());
    v.push("indices".into());
    v
}

fn read_dir_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("list") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_file() {
            m.insert(e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read"));
        }
    }
    m
}

/// Decode a PNG into (width, height, RGB bytes).
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    let rgb: Vec<u8> = buf[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, rgb)
}

fn distinct_colours(rgb: &[u8]) -> BTreeSet<[u8; 3]> {
    rgb.chunks(3).map(|p| [p[0], p[1], p[2]]).collect()
}

#[test]
fn every_chart_exists_as_parsable_svg_and_non_blank_png() {
    let dir = baseline();
    let plots = dir.join("plots");
    let files = read_dir_bytes(&plots);
    for stem in expected_stems() {
        let svg = files.get(&format!("{stem}.svg")).unwrap_or_else(|| panic!("missing {stem}.svg"));
        let text = std::str::from_utf8(svg).expect("utf-8 svg");
        let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{stem}.svg does not parse: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(str::to_string))
            .collect();
        assert!(
            texts.iter().any(|t| t.contains("scenario baseline") && t.contains("40 runs")),
            "{stem}.svg: no subtitle with scenario and runs: {texts:?}"
        );
        let png = files.get(&format!("{stem}.png")).unwrap_or_else(|| panic!("missing {stem}.png"));
        let (w, h, rgb) = decode_png(png);
        let (sw, sh): (f64, f64) = (
            doc.root_element()
                .attribute("width")
                .and_then(|v| v.parse().ok())
                .expect("svg width"),
            doc.root_element()
                .attribute("height")
                .and_then(|v| v.parse().ok())
                .expect("svg height"),
        );
        assert_eq!(
            (w, h),
            ((sw * 1.5).round() as u32, (sh * 1.5).round() as u32),
            "{stem}.png is not 1.5 times the SVG size"
        );
        let colours = distinct_colours(&rgb);
        assert!(colours.len() > 30, "{stem}.png looks blank: {} colours", colours.len());
        let white = rgb.chunks(3).filter(|p| p == &[255, 255, 255]).count();
        assert!(white < rgb.len() / 3, "{stem}.png is all white");
    }
    assert!(dir.join("report.html").is_file());
}

#[test]
fn framework_colours_appear_in_the_charts() {
    let dir = baseline();
    let names: Vec<String> = ["EU", "US", "CN"].map(String::from).to_vec();
    let colours = framework_colors(&names);
    for stem in ["swing_data", "fan_count_cloud"] {
        let (_, _, rgb) = decode_png(&std::fs::read(dir.join("plots").join(format!("{stem}.png"))).expect("read png"));
        let present = distinct_colours(&rgb);
        for c in &colours {
            assert!(present.contains(&[c.0, c.1, c.2]), "{stem}.png lacks framework colour {c:?}");
        }
    }
}

#[test]
fn plot_redraws_the_same_bytes() {
    let dir = baseline();
    let copy = tempfile::tempdir().expect("tempdir");
    for name in [
        "manifest.json",
        "summary.json",
        "timeseries.csv",
        "indices.csv",
        "runs.csv",
        "states.csv",
    ] {
        std::fs::copy(dir.join(name), copy.path().join(name)).expect("copy");
    }
    blocsim(&["plot", copy.path().to_str().expect("utf-8"), "--plot-scale", "1.5"]);
    assert_eq!(read_dir_bytes(&dir.join("plots")), read_dir_bytes(&copy.path().join("plots")));
    assert_eq!(
        std::fs::read(dir.join("report.html")).expect("read"),
        std::fs::read(copy.path().join("report.html")).expect("read")
    );
    // and through the library, a second time in the same process
    let files = plot_all(copy.path(), &PlotOptions { png_scale: 1.5 }).expect("plot_all");
    assert_eq!(files.len(), 2 * expected_stems().len() + 1);
    assert_eq!(read_dir_bytes(&dir.join("plots")), read_dir_bytes(&copy.path().join("plots")));
}

#[test]
fn no_plots_draws_nothing_and_bad_scale_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("o");
    let o = out.to_str().expect("utf-8");
    blocsim(&["batch", "baseline", "--runs", "3", "--out", o, "--no-plots", "--no-detail"]);
    assert!(!out.join("plots").exists());
    assert!(!out.join("report.html").exists());
    Test::with(["plot", o, "--plot-scale", "0"])
        .run()
        .code(2)
        .stderr_contains("--plot-scale");
    Test::with(["plot", dir.path().join("missing").to_str().expect("utf-8")])
        .run()
        .code(2)
        .stderr_contains("manifest.json");
}

#[test]
fn synthetic_worlds_get_no_map_and_say_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s");
    let o = out.to_str().expect("utf-8");
    blocsim(&[
        "batch",
        "scenarios/bench/logit-network.toml",
        "--runs",
        "8",
        "--out",
        o,
        "--set",
        "world.synthetic.agents=200",
        "--set",
        "time.end=5",
        "--plot-scale",
        "1",
    ]);
    let plots = read_dir_bytes(&out.join("plots"));
    assert!(plots.keys().all(|k| !k.starts_with("map_")), "{:?}", plots.keys());
    assert!(plots.contains_key("ternary_x.svg") && plots.contains_key("swing_x.png"));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.contains("No world map"));
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(chrome) = chromium() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("chromium is not installed (CI=true): .ci/run should install Debian's `chromium` package");
        }
        eprintln!("skipping report_renders_in_headless_chromium: /usr/bin/chromium not found (apt-get install chromium)");
        return;
    };
    let dir = baseline();
    let report = dir.join("report.html").canonicalize().expect("report path");
    let html = std::fs::read_to_string(&report).expect("read report");
    assert!(html.contains("<svg") && html.contains("Manifest") && html.contains("Most contested states"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "report must be self-contained"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let shot = tmp.path().join("shot.png");
    let status = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", tmp.path().join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,3000")
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("start chromium");
    assert!(
        shot.is_file(),
        "chromium wrote no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let (w, h, rgb) = decode_png(&std::fs::read(&shot).expect("read screenshot"));
    assert!(w >= 600 && h >= 1000, "screenshot {w}x{h}");
    let colours = distinct_colours(&rgb);
    assert!(colours.len() > 200, "screenshot looks blank: {} colours", colours.len());
    // The first fan chart is on the first screen: its framework colours must be there (any shade
    // close to them, since browsers anti-alias).
    let names: Vec<String> = ["EU", "US", "CN"].map(String::from).to_vec();
    for c in framework_colors(&names) {
        let near = colours.iter().any(|p| {
            (i32::from(p[0]) - i32::from(c.0)).abs() <= 6
                && (i32::from(p[1]) - i32::from(c.1)).abs() <= 6
                && (i32::from(p[2]) - i32::from(c.2)).abs() <= 6
        });
        assert!(near, "screenshot lacks framework colour {c:?}");
    }
}

#[test]
fn two_frameworks_get_no_ternary_plot_and_the_report_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string("scenarios/bench/logit-network.toml").expect("bench scenario");
    let text = text
        .replace("frameworks = [\"A\", \"B\", \"C\"]", "frameworks = [\"A\", \"B\"]")
        .replace(
            "shares = { A = 0.3333333333333333, B = 0.3333333333333333, C = 0.3333333333333334 }",
            "shares = { A = 0.5, B = 0.5 }",
        );
    assert!(
        text.contains("shares = { A = 0.5, B = 0.5 }"),
        "the bench scenario changed; update this test"
    );
    let scenario = dir.path().join("k2.toml");
    std::fs::write(&scenario, text).expect("write scenario");
    let out = dir.path().join("o");
    let args = [
        "batch",
        scenario.to_str().expect("utf-8"),
        "--runs",
        "6",
        "--out",
        out.to_str().expect("utf-8"),
        "--set",
        "world.synthetic.agents=100",
        "--set",
        "time.end=4",
        "--plot-scale",
        "1",
    ];
    blocsim(&args);
    let plots = read_dir_bytes(&out.join("plots"));
    assert!(plots.keys().all(|k| !k.starts_with("ternary_")), "{:?}", plots.keys());
    assert!(plots.contains_key("fan_count_x.svg") && plots.contains_key("outcomes_x.png"));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.contains("No ternary plots: this scenario has 2 frameworks"));
}
