//! Charts drawn from a saved output directory (never from the model).
//!
//! [`draw_charts`] draws from `manifest.json`, `summary.json`, `timeseries.csv`, `indices.csv`,
//! `runs.csv` and `states.csv` (loaded by [`data`]) every chart into `plots/` as SVG and PNG; the
//! commands then write `report.html` ([`crate::report`]) and the manifest's file list. One module
//! per chart:
//!
//! | module | files | what it shows |
//! |--------|-------|---------------|
//! | [`fan`] | `fan_count_<domain>`, `fan_gdp_<domain>` | each framework's share over time: median, 50% and 90% bands |
//! | [`outcomes`] | `outcomes_<domain>` | histogram of each framework's final share across runs |
//! | [`ternary`] | `ternary_<domain>`, `ternary_all` | every run's final (share 1, share 2, share 3) as a point, with density shading (K = 3 only) |
//! | [`swing`] | `swing_<domain>` | the most contested states' probabilities of each framework |
//! | [`map`] | `map_<domain>` | each state's most likely framework, shaded by its probability (Equal Earth) |
//! | [`indices`] | `indices` | fragmentation and hedging indices over time as fan charts |
//! | [`reliability`] | `reliability` | a hindcast's observed rate against mean forecast per bin, per window (from `hindcast`'s results) |
//! | [`counts`] | `counts` | a simulated hindcast's yearly adoptions against the runs' 50% and 90% bands (from `hindcast`'s results) |
//!
//! Determinism: every chart is a pure function of the files read; iteration is in file order,
//! coordinates are integers, numbers are formatted with fixed precision, and nothing depends on
//! the clock, so the same directory gives the same bytes. Text is drawn with the bundled DejaVu Sans
//! (registered as the family [`FONT`]); in SVG it is real `<text>` elements.

pub mod analysis;
pub mod comparison;
pub mod counts;
pub mod data;
pub mod fan;
pub mod indices;
pub mod map;
pub mod outcomes;
pub mod profiles;
pub mod reliability;
pub mod swing;
pub mod ternary;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::error::{Error, Result};
pub use data::Output;

/// The one font family every chart uses (DejaVu Sans, registered under this generic name so that
/// SVG viewers without DejaVu fall back to a sans-serif face).
pub const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Register the bundled font with plotters (once per process).
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled file is a valid TrueType font; a failure would only make text drawing fail
        // later with a reported error, never a panic.
        let _ = register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

pub use crate::options::PlotOptions;

/// Largest accepted PNG scale (a 1000-pixel-wide chart becomes 8000 pixels wide).
pub const MAX_SCALE: f64 = 8.0;

/// Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), colour-blind safe.
pub(crate) mod okabe_ito {
    use plotters::style::RGBColor;
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
}

/// One colour per framework, the same in every chart: EU blue, US vermillion, CN bluish green;
/// other frameworks take the remaining Okabe–Ito colours in scenario order.
pub fn framework_colors(frameworks: &[String]) -> Vec<RGBColor> {
    use okabe_ito::*;
    let fixed = |name: &str| match name {
        "EU" => Some(BLUE),
        "US" => Some(VERMILLION),
        "CN" => Some(BLUISH_GREEN),
        _ => None,
    };
    let mut spare: Vec<RGBColor> = [ORANGE, REDDISH_PURPLE, SKY_BLUE, YELLOW, BLACK, BLUE, VERMILLION, BLUISH_GREEN]
        .into_iter()
        .filter(|c| !frameworks.iter().any(|f| fixed(f) == Some(*c)))
        .collect();
    spare.reverse();
    frameworks
        .iter()
        .map(|f| fixed(f).unwrap_or_else(|| spare.pop().unwrap_or(RGBColor(0x88, 0x88, 0x88))))
        .collect()
}

/// CSS hex of a colour (`#0072B2`).
pub fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// `c` mixed with white: `amount` 1 is `c`, 0 is white.
pub fn tint(c: RGBColor, amount: f64) -> RGBColor {
    let m = |v: u8| (255.0 - (255.0 - f64::from(v)) * amount.clamp(0.0, 1.0)).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

/// Relative luminance (WCAG 2) of a colour, 0 (black) to 1 (white). Above about 0.18, black text
/// contrasts more with the colour than white text does.
pub fn luminance(c: RGBColor) -> f64 {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
}

/// Text, axes and marks that belong to no framework.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (notes, subtitles) and light axes.
pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid lines and borders.
pub const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);

/// A chart: its logical size (the SVG's pixel size) and how to draw it at scale `s`.
pub trait Chart {
    /// Width and height at scale 1.
    fn size(&self) -> (u32, u32);
    /// Draw on `root`, every length multiplied by `s`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String>;
}

/// Drawing context helpers at a scale.
#[derive(Debug, Clone, Copy)]
pub struct Sc(pub f64);

impl Sc {
    /// A length in pixels.
    pub fn px(self, v: f64) -> i32 {
        (v * self.0).round() as i32
    }
    /// A length in pixels, unsigned (at least 1).
    pub fn u(self, v: f64) -> u32 {
        ((v * self.0).round() as u32).max(1)
    }
    /// A text style of `size` (logical pixels) and colour.
    pub fn font(self, size: f64, color: RGBColor) -> TextStyle<'static> {
        (FONT, size * self.0).into_font().color(&color)
    }
    /// The charts' grid: light lines at the labels, none between them, muted axes.
    pub fn grid<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
        self,
        mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    ) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
        mesh.bold_line_style(GRID.stroke_width(self.u(1.0)))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(self.u(1.0)))
    }
}

/// `dir/plots`, created if it is missing: where every chart of an output directory goes.
pub fn plots_dir(dir: &Path) -> Result<PathBuf> {
    let plots = dir.join(crate::export::outputs::PLOTS_DIR);
    std::fs::create_dir_all(&plots).map_err(|source| Error::Write {
        path: plots.clone(),
        source,
    })?;
    Ok(plots)
}

/// Convert a plotters error into text.
pub fn perr<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Draw the title block (title, then a muted subtitle) at the top of `area`; returns its height in
/// logical pixels.
pub fn draw_header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Sc,
    title: &str,
    subtitle: &str,
) -> std::result::Result<(), String> {
    area.draw(&Text::new(title.to_string(), (s.px(16.0), s.px(12.0)), s.font(19.0, INK)))
        .map_err(perr)?;
    area.draw(&Text::new(subtitle.to_string(), (s.px(16.0), s.px(40.0)), s.font(13.0, MUTED)))
        .map_err(perr)?;
    Ok(())
}

/// Height of the header drawn by [`draw_header`], in logical pixels.
pub const HEADER: f64 = 66.0;

/// The subtitle every chart carries: scenario name and run count (and seed).
pub fn subtitle(o: &Output) -> String {
    let mut s = format!("scenario {} \u{2014} {} runs, seed {}", o.scenario, o.runs, o.seed);
    if let Some(shard) = &o.shard {
        s.push_str(&format!(", shard {shard}"));
    }
    s
}

/// Render `chart` to `<dir>/<stem>.svg` and `<dir>/<stem>.png` (atomically); returns the two
/// paths relative to the output directory (`plots/<stem>.svg`, `plots/<stem>.png`).
pub fn render<C: Chart>(chart: &C, plots: &Path, stem: &str, opts: &PlotOptions) -> Result<Vec<String>> {
    let (w, h) = chart.size();
    let svg_path = plots.join(format!("{stem}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(&svg_path, perr(e)))?;
        chart.draw(&root, 1.0).map_err(|m| plot_error(&svg_path, m))?;
        root.present().map_err(|e| plot_error(&svg_path, perr(e)))?;
    }
    crate::export::write_atomic(&svg_path, svg.as_bytes())?;

    let png_path = plots.join(format!("{stem}.png"));
    let scale = opts.png_scale;
    let (pw, ph) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let mut buf = vec![255u8; pw as usize * ph as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (pw, ph)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(&png_path, perr(e)))?;
        chart.draw(&root, scale).map_err(|m| plot_error(&png_path, m))?;
        root.present().map_err(|e| plot_error(&png_path, perr(e)))?;
    }
    let png = encode_png(&buf, pw, ph, scale).map_err(|m| plot_error(&png_path, m))?;
    crate::export::write_atomic(&png_path, &png)?;
    Ok(vec![format!("plots/{stem}.svg"), format!("plots/{stem}.png")])
}

fn plot_error(path: &Path, message: String) -> Error {
    Error::Plot {
        path: path.to_path_buf(),
        message,
    }
}

/// Encode an RGB buffer as PNG, recording the resolution (96 dpi times the scale) in a pHYs chunk.
fn encode_png(rgb: &[u8], w: u32, h: u32, scale: f64) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let ppm = (96.0 * scale / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(rgb).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// A file-name-safe form of a domain name.
pub fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// What [`draw_charts`] drew, for the report.
#[derive(Debug, Clone, Default)]
pub struct Drawn {
    /// Files written, relative to the output directory, in drawing order.
    pub files: Vec<String>,
    /// Charts that could not be drawn for this output and why (e.g. ternary plots for K != 3).
    pub notes: Vec<String>,
}

/// Check the options before any work is done.
pub fn check_options(opts: &PlotOptions) -> Result<()> {
    if !(opts.png_scale.is_finite() && opts.png_scale >= 0.25 && opts.png_scale <= MAX_SCALE) {
        return Err(Error::Usage(format!(
            "--plot-scale {}: expected a number from 0.25 to {MAX_SCALE}",
            opts.png_scale
        )));
    }
    Ok(())
}

/// Draw every chart of a loaded output directory into its `plots/` (without the report).
pub fn draw_charts(out: &Output, opts: &PlotOptions) -> Result<Drawn> {
    check_options(opts)?;
    register_fonts();
    let plots = plots_dir(&out.dir)?;
    let mut d = Drawn::default();
    for (di, domain) in out.domains.iter().enumerate() {
        for measure in [data::Measure::Count, data::Measure::Gdp] {
            let c = fan::FanChart::new(out, di, measure);
            d.files
                .extend(render(&c, &plots, &format!("fan_{}_{}", measure.key(), slug(domain)), opts)?);
        }
    }
    for (di, domain) in out.domains.iter().enumerate() {
        let c = outcomes::OutcomesChart::new(out, di);
        d.files.extend(render(&c, &plots, &format!("outcomes_{}", slug(domain)), opts)?);
    }
    if out.frameworks.len() == 3 {
        for (di, domain) in out.domains.iter().enumerate() {
            let c = ternary::TernaryChart::new(out, Some(di));
            d.files.extend(render(&c, &plots, &format!("ternary_{}", slug(domain)), opts)?);
        }
        let c = ternary::TernaryChart::new(out, None);
        d.files.extend(render(&c, &plots, "ternary_all", opts)?);
    } else {
        d.notes.push(format!(
            "No ternary plots: this scenario has {} frameworks, and a ternary (simplex) plot shows exactly three shares.",
            out.frameworks.len()
        ));
    }
    for (di, domain) in out.domains.iter().enumerate() {
        let c = swing::SwingChart::new(out, di);
        d.files.extend(render(&c, &plots, &format!("swing_{}", slug(domain)), opts)?);
    }
    let geo = map::Geo::for_states(&out.state_ids());
    if geo.located() > 0 {
        for (di, domain) in out.domains.iter().enumerate() {
            let c = map::MapChart::new(out, di, &geo);
            d.files.extend(render(&c, &plots, &format!("map_{}", slug(domain)), opts)?);
        }
        if geo.unlocated > 0 {
            d.notes.push(format!(
                "{} of the {} states have no location on the map and are not drawn.",
                geo.unlocated,
                geo.unlocated + geo.located()
            ));
        }
    } else {
        d.notes.push(
            "No world map: the states of this world are not real countries (a synthetic or custom world), so there is nothing to place on a map."
                .to_string(),
        );
    }
    let c = indices::IndicesChart::new(out);
    d.files.extend(render(&c, &plots, "indices", opts)?);
    Ok(d)
}

/// Nice tick positions for `[lo, hi]` with about `n` ticks.
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) || n == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|st| *st >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_colours_are_fixed_for_the_default_names_and_distinct_otherwise() {
        let names: Vec<String> = ["EU", "US", "CN"].map(String::from).to_vec();
        assert_eq!(
            framework_colors(&names),
            vec![okabe_ito::BLUE, okabe_ito::VERMILLION, okabe_ito::BLUISH_GREEN]
        );
        let names: Vec<String> = ["A", "US", "B", "C"].map(String::from).to_vec();
        let c = framework_colors(&names);
        assert_eq!(c[1], okabe_ito::VERMILLION);
        for i in 0..c.len() {
            for j in 0..i {
                assert_ne!(c[i], c[j]);
            }
        }
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(ticks(0.0, 100.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(ticks(2025.0, 2045.0, 5), vec![2025.0, 2030.0, 2035.0, 2040.0, 2045.0]);
    }

    #[test]
    fn tint_blends_towards_white() {
        assert_eq!(tint(okabe_ito::BLACK, 0.0), RGBColor(255, 255, 255));
        assert_eq!(tint(okabe_ito::BLUE, 1.0), okabe_ito::BLUE);
    }
}
