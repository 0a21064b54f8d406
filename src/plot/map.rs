//! World maps: for one domain, each state coloured by its most likely framework at the horizon and
//! shaded by that framework's probability, in the Equal Earth projection (Šavrič, Patterson &
//! Jenny, "The Equal Earth map projection", International Journal of Geographical Information
//! Science 33(3), 2019; published online 2018). Outlines: Natural Earth 1:110m admin-0 countries
//! (public domain), simplified by `scenarios/data/build_shapes.py` into
//! `scenarios/data/world_shapes.txt`. States too small for that map are drawn as dots at their
//! location in `countries.csv`. Reads `states.csv`.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{Output, StateRow};
use super::{Chart, HEADER, INK, MUTED, Sc, draw_header, framework_colors, perr, subtitle, tint};

/// A polygon ring to draw: its area, its state's id and its points (lon, lat).
type Ring<'a> = (f64, &'a str, &'a [(f64, f64)]);

/// The simplified outlines: `ISO3<TAB>ring|ring...`, ring = `x,y x,y ...` in hundredths of a degree.
pub const WORLD_SHAPES: &str = include_str!("../../scenarios/data/world_shapes.txt");

/// Equal Earth projection of (longitude, latitude) in degrees to (x, y) on the unit sphere
/// (y grows northwards).
pub fn equal_earth(lon: f64, lat: f64) -> (f64, f64) {
    const A1: f64 = 1.340264;
    const A2: f64 = -0.081106;
    const A3: f64 = 0.000893;
    const A4: f64 = 0.003796;
    let m = 3f64.sqrt() / 2.0;
    let (lam, phi) = (lon.to_radians(), lat.to_radians());
    let t = (m * phi.sin()).asin();
    let (t2, t6) = (t * t, t.powi(6));
    let x = lam * t.cos() / (m * (A1 + 3.0 * A2 * t2 + t6 * (7.0 * A3 + 9.0 * A4 * t2)));
    let y = t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2));
    (x, y)
}

/// Where each state can be drawn.
#[derive(Debug, Clone, Default)]
pub struct Geo {
    /// Outlines (lon, lat in degrees) of every shape in the file, keyed by code.
    pub shapes: BTreeMap<String, Vec<Vec<(f64, f64)>>>,
    /// Dots (lon, lat) for states of the world without an outline.
    pub dots: BTreeMap<String, (f64, f64)>,
    /// States of the world with an outline.
    pub outlined: usize,
    /// States of the world that cannot be placed.
    pub unlocated: usize,
}

impl Geo {
    /// Parse the bundled outlines and place the states `ids`.
    pub fn for_states(ids: &[String]) -> Geo {
        let mut g = Geo::default();
        for line in WORLD_SHAPES.lines() {
            let Some((code, rest)) = line.split_once('\t') else { continue };
            let rings: Vec<Vec<(f64, f64)>> = rest
                .split('|')
                .map(|ring| {
                    ring.split(' ')
                        .filter_map(|p| {
                            let (x, y) = p.split_once(',')?;
                            Some((x.parse::<f64>().ok()? / 100.0, y.parse::<f64>().ok()? / 100.0))
                        })
                        .collect::<Vec<_>>()
                })
                .filter(|r| r.len() >= 3)
                .collect();
            g.shapes.insert(code.to_string(), rings);
        }
        let points = country_points();
        for id in ids {
            if g.shapes.contains_key(id) {
                g.outlined += 1;
            } else if let Some(p) = points.get(id) {
                g.dots.insert(id.clone(), *p);
            } else {
                g.unlocated += 1;
            }
        }
        g
    }

    /// States that can be drawn.
    pub fn located(&self) -> usize {
        self.outlined + self.dots.len()
    }
}

/// (lon, lat) of every row of the bundled `countries.csv`.
fn country_points() -> BTreeMap<String, (f64, f64)> {
    let mut out = BTreeMap::new();
    let mut rdr = csv::Reader::from_reader(crate::world::countries::COUNTRIES_CSV.as_bytes());
    let Ok(header) = rdr.headers().cloned() else { return out };
    let col = |n: &str| header.iter().position(|h| h == n);
    let (Some(ci), Some(cx), Some(cy)) = (col("iso3"), col("lon"), col("lat")) else {
        return out;
    };
    for rec in rdr.records().flatten() {
        let (Some(id), Some(x), Some(y)) = (rec.get(ci), rec.get(cx), rec.get(cy)) else {
            continue;
        };
        if let (Ok(x), Ok(y)) = (x.parse::<f64>(), y.parse::<f64>()) {
            out.insert(id.to_string(), (x, y));
        }
    }
    out
}

/// Probability classes of the most likely framework: lower bounds and the tint used.
pub const CLASSES: [(f64, f64, &str); 4] = [
    (0.0, 0.28, "< 50%"),
    (0.5, 0.5, "50\u{2013}75%"),
    (0.75, 0.75, "75\u{2013}90%"),
    (0.9, 1.0, "\u{2265} 90%"),
];

/// Tint for a probability of the most likely framework.
pub fn class_tint(p: f64) -> f64 {
    let mut t = CLASSES[0].1;
    for (lo, tint, _) in CLASSES {
        if p >= lo {
            t = tint;
        }
    }
    t
}

const NO_DATA: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);
const SEA: RGBColor = RGBColor(0xF1, 0xF4, 0xF7);
const LAT_TOP: f64 = 84.0;
const LAT_BOTTOM: f64 = -58.0;
const MAP_W: f64 = 960.0;
const MARGIN: f64 = 20.0;

fn map_h() -> f64 {
    let (xmax, _) = equal_earth(180.0, 0.0);
    let k = MAP_W / (2.0 * xmax);
    (equal_earth(0.0, LAT_TOP).1 - equal_earth(0.0, LAT_BOTTOM).1) * k
}

/// The world map of one domain.
pub struct MapChart<'a> {
    out: &'a Output,
    domain: usize,
    geo: &'a Geo,
}

impl<'a> MapChart<'a> {
    /// The map of domain `domain` of `out`, with the outlines of `geo`.
    pub fn new(out: &'a Output, domain: usize, geo: &'a Geo) -> Self {
        MapChart { out, domain, geo }
    }
}

impl Chart for MapChart<'_> {
    fn size(&self) -> (u32, u32) {
        let legend = 52.0 + 22.0 * self.out.frameworks.len().max(2) as f64;
        ((MAP_W + 2.0 * MARGIN) as u32, (HEADER + map_h() + 16.0 + legend) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> Result<(), String> {
        let s = Sc(s);
        let o = self.out;
        let domain = o.domains.get(self.domain).map_or("?", String::as_str);
        draw_header(
            root,
            s,
            &format!("{domain}: each state's most likely framework at the horizon, shaded by its probability"),
            &subtitle(o),
        )?;
        let colors = framework_colors(&o.frameworks);
        let (xmax, _) = equal_earth(180.0, 0.0);
        let k = MAP_W / (2.0 * xmax);
        let ytop = equal_earth(0.0, LAT_TOP).1;
        let proj = |lon: f64, lat: f64| {
            let (x, y) = equal_earth(lon, lat.clamp(LAT_BOTTOM, LAT_TOP));
            (s.px(MARGIN + (x + xmax) * k), s.px(HEADER + (ytop - y) * k))
        };
        // sea: the projection's outline between the two cut-off latitudes
        let mut sea = Vec::new();
        let steps = 60;
        for i in 0..=steps {
            sea.push(proj(-180.0, LAT_BOTTOM + (LAT_TOP - LAT_BOTTOM) * i as f64 / steps as f64));
        }
        for i in 0..=steps {
            sea.push(proj(180.0, LAT_TOP - (LAT_TOP - LAT_BOTTOM) * i as f64 / steps as f64));
        }
        root.draw(&Polygon::new(sea, SEA.filled())).map_err(perr)?;

        let rows: BTreeMap<&str, &StateRow> = o.states_in(self.domain).map(|r| (r.id.as_str(), r)).collect();
        let fill = |id: &str| -> RGBColor {
            match rows.get(id) {
                Some(r) => tint(colors[r.modal() % colors.len()], class_tint(r.top())),
                None => NO_DATA,
            }
        };
        // larger rings first, so that enclaves are drawn over their surroundings
        let mut rings: Vec<Ring> = Vec::new();
        for (id, rs) in &self.geo.shapes {
            for r in rs {
                let a: f64 = r
                    .iter()
                    .zip(r.iter().cycle().skip(1))
                    .map(|(p, q)| p.0 * q.1 - q.0 * p.1)
                    .sum::<f64>()
                    .abs()
                    / 2.0;
                rings.push((a, id.as_str(), r.as_slice()));
            }
        }
        rings.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        for (_, id, ring) in &rings {
            let pts: Vec<(i32, i32)> = ring.iter().map(|(x, y)| proj(*x, *y)).collect();
            root.draw(&Polygon::new(pts.clone(), fill(id).filled())).map_err(perr)?;
            let mut closed = pts;
            if let Some(first) = closed.first().copied() {
                closed.push(first);
            }
            root.draw(&PathElement::new(closed, WHITE.stroke_width(s.u(0.6)))).map_err(perr)?;
        }
        for (id, (lon, lat)) in &self.geo.dots {
            root.draw(&Circle::new(proj(*lon, *lat), s.u(4.0), fill(id).filled()))
                .map_err(perr)?;
            root.draw(&Circle::new(proj(*lon, *lat), s.u(4.0), INK.stroke_width(s.u(0.8))))
                .map_err(perr)?;
        }

        // legend: a row per framework, a column per probability class
        let ly = s.px(HEADER + map_h() + 16.0);
        let lx = s.px(MARGIN);
        let head = s.font(12.5, MUTED);
        root.draw(&Text::new(
            "probability of the most likely framework:".to_string(),
            (lx, ly),
            head.clone(),
        ))
        .map_err(perr)?;
        let col_x = |c: usize| lx + s.px(280.0 + 86.0 * c as f64);
        for (c, (_, _, label)) in CLASSES.iter().enumerate() {
            root.draw(&Text::new((*label).to_string(), (col_x(c), ly), head.clone()))
                .map_err(perr)?;
        }
        for (kk, name) in o.frameworks.iter().enumerate() {
            let y = ly + s.px(22.0 + 22.0 * kk as f64);
            let style = s.font(13.5, INK).pos(Pos::new(HPos::Right, VPos::Top));
            root.draw(&Text::new(name.clone(), (col_x(0) - s.px(12.0), y), style))
                .map_err(perr)?;
            for (c, (_, t, _)) in CLASSES.iter().enumerate() {
                let x = col_x(c);
                root.draw(&Rectangle::new(
                    [(x, y), (x + s.px(60.0), y + s.px(16.0))],
                    tint(colors[kk % colors.len()], *t).filled(),
                ))
                .map_err(perr)?;
            }
        }
        let x = col_x(CLASSES.len()) + s.px(30.0);
        root.draw(&Rectangle::new(
            [(x, ly + s.px(22.0)), (x + s.px(28.0), ly + s.px(38.0))],
            NO_DATA.filled(),
        ))
        .map_err(perr)?;
        root.draw(&Text::new(
            "not simulated".to_string(),
            (x + s.px(36.0), ly + s.px(22.0)),
            s.font(12.5, INK),
        ))
        .map_err(perr)?;
        if !self.geo.dots.is_empty() {
            root.draw(&Circle::new((x + s.px(14.0), ly + s.px(52.0)), s.u(4.0), WHITE.filled()))
                .map_err(perr)?;
            root.draw(&Circle::new(
                (x + s.px(14.0), ly + s.px(52.0)),
                s.u(4.0),
                INK.stroke_width(s.u(0.8)),
            ))
            .map_err(perr)?;
            root.draw(&Text::new(
                "small state (dot)".to_string(),
                (x + s.px(36.0), ly + s.px(44.0)),
                s.font(12.5, INK),
            ))
            .map_err(perr)?;
        }
        let note = "Equal Earth projection (\u{160}avri\u{10d}, Patterson & Jenny 2018). Outlines: Natural Earth 1:110m, public domain.";
        let fy = ly + s.px(30.0 + 22.0 * o.frameworks.len().max(2) as f64);
        root.draw(&Text::new(note.to_string(), (lx, fy), s.font(12.0, MUTED)))
            .map_err(perr)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_earth_matches_the_published_extent() {
        // Šavrič et al. (2018): the map is about 2.05 times as wide as it is high.
        let (x, _) = equal_earth(180.0, 0.0);
        let (_, y) = equal_earth(0.0, 90.0);
        assert!((x / y - 2.0536).abs() < 0.01, "{x} {y}");
        assert_eq!(equal_earth(0.0, 0.0), (0.0, 0.0));
        let (x1, y1) = equal_earth(-30.0, -45.0);
        let (x2, y2) = equal_earth(30.0, 45.0);
        assert!((x1 + x2).abs() < 1e-12 && (y1 + y2).abs() < 1e-12);
    }

    #[test]
    fn bundled_shapes_cover_the_bundled_countries() {
        let ids: Vec<String> = country_points().into_keys().collect();
        let g = Geo::for_states(&ids);
        assert_eq!(g.unlocated, 0);
        assert!(g.outlined >= 170, "{}", g.outlined);
        assert!(g.dots.contains_key("SGP"));
        assert!(WORLD_SHAPES.len() < 300_000);
    }

    #[test]
    fn classes_are_ordered() {
        assert_eq!(class_tint(0.34), CLASSES[0].1);
        assert_eq!(class_tint(0.6), 0.5);
        assert_eq!(class_tint(0.95), 1.0);
    }
}
