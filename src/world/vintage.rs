//! `world.vintage = "FILE.csv"`: population and GDP of another year for the country world (e.g. as a
//! fit window's first year saw them), replacing those of `countries.csv` before the gravity ties are
//! built. Columns `iso3,population,gdp_musd` (GDP in million current US$, as `gdp_2019_musd`); every
//! state of the world needs a row, and an empty cell keeps the base data's value, so that a missing
//! value is written in the file rather than assumed. [`Vintage::kept`] counts those cells, for
//! `check` to show.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::World;
use super::rows::rows;
use crate::error::{Error, Result};
use crate::limits::MAX_DATA_BYTES;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    iso3: String,
    population: Option<f64>,
    gdp_musd: Option<f64>,
}

/// What a vintage file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vintage {
    /// Values replaced: population, GDP.
    pub replaced: (usize, usize),
    /// Empty cells, whose base value was kept: population, GDP.
    pub kept: (usize, usize),
}

/// Replace population and GDP of `w` by the values of the vintage file at `path`.
pub fn apply(w: &mut World, path: &Path) -> Result<Vintage> {
    let bad = |line: usize, message: String| Error::Data {
        path: path.to_path_buf(),
        line,
        message,
    };
    let read = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    // A regular file of bounded size: not a directory, a device or a pipe that never ends.
    let meta = std::fs::metadata(path).map_err(read)?;
    if !meta.is_file() || meta.len() > MAX_DATA_BYTES {
        return Err(bad(0, format!("expected a CSV file of at most {} bytes", MAX_DATA_BYTES)));
    }
    let text = std::fs::read_to_string(path).map_err(read)?;
    let mut by_state: BTreeMap<usize, (usize, Row)> = BTreeMap::new();
    for (line, r) in rows::<Row>(path, &text)? {
        let Some(i) = w.state(&r.iso3) else {
            return Err(bad(line, format!("`{}` is not a state of this world", r.iso3)));
        };
        for (v, column) in [(r.population, "population"), (r.gdp_musd, "gdp_musd")] {
            if v.is_some_and(|v| !(v > 0.0 && v.is_finite())) {
                return Err(bad(line, format!("{}: `{column}` must be a positive number or empty", r.iso3)));
            }
        }
        if let Some((first, _)) = by_state.insert(i as usize, (line, r)) {
            return Err(bad(line, format!("`{}` repeats line {first}", &w.ids[i as usize])));
        }
    }
    if let Some(missing) = (0..w.len()).find(|i| !by_state.contains_key(i)) {
        return Err(bad(
            1,
            format!(
                "no row for `{}`: every state of the world needs one (leave a cell empty to keep the base value)",
                &w.ids[missing]
            ),
        ));
    }
    let mut v = Vintage {
        replaced: (0, 0),
        kept: (0, 0),
    };
    for (i, (_, r)) in by_state {
        match r.population {
            Some(p) => (w.population[i], v.replaced.0) = (p, v.replaced.0 + 1),
            None => v.kept.0 += 1,
        }
        match r.gdp_musd {
            Some(g) => (w.gdp[i], v.replaced.1) = (g, v.replaced.1 + 1),
            None => v.kept.1 += 1,
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        let mut w = World::default();
        for (id, pop, gdp) in [("AAA", 1.0, 10.0), ("BBB", 2.0, 20.0)] {
            w.ids.push(id);
            w.population.push(pop);
            w.gdp.push(gdp);
        }
        w
    }

    fn apply_text(text: &str) -> (World, Result<Vintage>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.csv");
        std::fs::write(&path, text).unwrap();
        let mut w = world();
        let r = apply(&mut w, &path);
        (w, r)
    }

    #[test]
    fn values_replace_the_base_and_empty_cells_keep_it() {
        let (w, r) = apply_text("iso3,population,gdp_musd\nBBB,3,\nAAA,,11\n");
        assert_eq!(
            r.unwrap(),
            Vintage {
                replaced: (1, 1),
                kept: (1, 1)
            }
        );
        assert_eq!((w.population, w.gdp), (vec![1.0, 3.0], vec![11.0, 20.0]));
    }

    #[test]
    fn bad_files_name_the_line_and_the_reason() {
        let msg = |text: &str| apply_text(text).1.unwrap_err().to_string();
        assert!(msg("iso3,population,gdp_musd\nAAA,1,1\nCCC,1,1\n").contains("v.csv:3: `CCC` is not a state of this world"));
        assert!(
            msg("iso3,population,gdp_musd\nAAA,1,1\nBBB,-1,1\n").contains("v.csv:3: BBB: `population` must be a positive number or empty")
        );
        assert!(msg("iso3,population,gdp_musd\nAAA,1,1\nAAA,1,1\n").contains("v.csv:3: `AAA` repeats line 2"));
        assert!(msg("iso3,population,gdp_musd\nAAA,1,1\n").contains("no row for `BBB`"));
        assert!(msg("iso3,population,gdp_musd\nAAA,x,1\nBBB,1,1\n").contains("v.csv:2: column `population`: expected a number, found `x`"));
    }
}
