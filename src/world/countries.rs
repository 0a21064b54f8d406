//! The real-world states: `countries.csv` and `memberships.csv` (see `scenarios/data/README.md` for
//! their sources and vintage), bundled into the binary or read from a directory of the same layout.
//!
//! Missing Human Freedom Index scores (23 rows) are imputed with the mean score of the state's UN
//! subregion, or of all scored states where the subregion has none; imputed rows are flagged.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::scenario::Gravity;
use crate::world::rows::rows;
use crate::world::{Groups, World, gravity};

/// The bundled `countries.csv`.
pub const COUNTRIES_CSV: &str = include_str!("../../scenarios/data/countries.csv");
/// The bundled `memberships.csv`.
pub const MEMBERSHIPS_CSV: &str = include_str!("../../scenarios/data/memberships.csv");

/// One row of `countries.csv` (only the columns the model uses).
#[derive(Debug, Deserialize)]
struct CountryRow {
    iso3: String,
    name: String,
    sovereign: u8,
    continent: String,
    subregion: String,
    pop_2019: f64,
    gdp_2019_musd: f64,
    lon: f64,
    lat: f64,
    hf_score: Option<f64>,
}

/// One row of `memberships.csv`.
#[derive(Debug, Deserialize)]
struct MembershipRow {
    iso3: String,
    group: String,
}

fn read(dir: Option<&Path>, file: &str, bundled: &'static str) -> Result<(PathBuf, String)> {
    match dir {
        None => Ok((PathBuf::from("scenarios/data").join(file), bundled.to_string())),
        Some(d) => {
            let path = d.join(file);
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            Ok((path, text))
        }
    }
}

/// Load the country world: the bundled data, or the same two files from `data_dir`; population and
/// GDP from `vintage` where it gives them ([`super::vintage`]).
pub fn load(data_dir: Option<&Path>, include_non_sovereign: bool, vintage: Option<&Path>, g: &Gravity) -> Result<World> {
    let (cpath, ctext) = read(data_dir, "countries.csv", COUNTRIES_CSV)?;
    let (mpath, mtext) = read(data_dir, "memberships.csv", MEMBERSHIPS_CSV)?;
    let (mut w, seen) = read_countries(&cpath, &ctext, include_non_sovereign)?;
    impute_freedom(&mut w);
    w.groups = read_memberships(&w, &seen, &mpath, &mtext)?;
    let vintage = match vintage {
        Some(path) => {
            let v = super::vintage::apply(&mut w, path)?;
            format!(
                "; population and GDP from {} ({} and {} replaced, {} and {} kept)",
                path.display(),
                v.replaced.0,
                v.replaced.1,
                v.kept.0,
                v.kept.1
            )
        }
        None => String::new(),
    };
    w.ties = gravity::ties(&w.gdp, &w.lon, &w.lat, &w.groups, g);
    let imputed = w.freedom_imputed.iter().filter(|&&x| x).count();
    w.description = format!(
        "countries: {} states from {} ({} groups; freedom imputed for {imputed}; gravity ties, top {} partners){vintage}",
        w.len(),
        cpath
            .parent()
            .map_or_else(|| cpath.display().to_string(), |p| p.display().to_string()),
        w.groups.names.len(),
        g.top_partners
    );
    Ok(w)
}

/// The states of countries.csv (`ctext`, read from `cpath`), each row checked, the non-sovereign
/// ones only with `include_non_sovereign` (freedom NaN where unscored), and every iso3 of the file.
fn read_countries(cpath: &Path, ctext: &str, include_non_sovereign: bool) -> Result<(World, BTreeSet<String>)> {
    let mut w = World::default();
    let mut seen = BTreeSet::new();
    for (line, r) in rows::<CountryRow>(cpath, ctext)? {
        let bad = |message: String| Error::Data {
            path: cpath.to_path_buf(),
            line,
            message,
        };
        if !seen.insert(r.iso3.clone()) {
            return Err(bad(format!("duplicate iso3 `{}`", r.iso3)));
        }
        if !(r.gdp_2019_musd > 0.0 && r.gdp_2019_musd.is_finite() && r.pop_2019 > 0.0 && r.pop_2019.is_finite()) {
            return Err(bad(format!("{}: expected positive gdp_2019_musd and pop_2019", r.iso3)));
        }
        if !((-180.0..=180.0).contains(&r.lon) && (-90.0..=90.0).contains(&r.lat)) {
            return Err(bad(format!("{}: lon must be in [-180, 180] and lat in [-90, 90]", r.iso3)));
        }
        if let Some(h) = r.hf_score
            && !(0.0..=10.0).contains(&h)
        {
            return Err(bad(format!("{}: hf_score must be in [0, 10], found {h}", r.iso3)));
        }
        if r.sovereign == 0 && !include_non_sovereign {
            continue;
        }
        w.ids.push(&r.iso3);
        w.names.push(r.name);
        w.continent.push(r.continent.into());
        w.subregion.push(r.subregion.into());
        w.gdp.push(r.gdp_2019_musd);
        w.population.push(r.pop_2019);
        w.lon.push(r.lon);
        w.lat.push(r.lat);
        w.freedom_imputed.push(r.hf_score.is_none());
        w.freedom.push(r.hf_score.unwrap_or(f64::NAN));
    }
    Ok((w, seen))
}

/// The groups of memberships.csv (`mtext`, read from `mpath`) over the states of `w`; a state of
/// countries.csv (`seen`) left out of this world is skipped, an unknown one is an error.
fn read_memberships(w: &World, seen: &BTreeSet<String>, mpath: &Path, mtext: &str) -> Result<Groups> {
    let mut pairs = Vec::new();
    for (line, r) in rows::<MembershipRow>(mpath, mtext)? {
        match w.state(&r.iso3) {
            Some(i) => pairs.push((r.group, i)),
            None if seen.contains(&r.iso3) => {} // a non-sovereign state left out of this world
            None => {
                return Err(Error::Data {
                    path: mpath.to_path_buf(),
                    line,
                    message: format!("unknown iso3 `{}` (not in countries.csv)", r.iso3),
                });
            }
        }
    }
    Ok(Groups::from_pairs(pairs))
}

/// Replace NaN freedom scores by the subregion mean (or the global mean).
fn impute_freedom(w: &mut World) {
    let scored: Vec<usize> = (0..w.len()).filter(|&i| !w.freedom_imputed[i]).collect();
    let global = if scored.is_empty() {
        5.0
    } else {
        scored.iter().map(|&i| w.freedom[i]).sum::<f64>() / scored.len() as f64
    };
    for i in 0..w.len() {
        if !w.freedom_imputed[i] {
            continue;
        }
        let peers: Vec<f64> = scored
            .iter()
            .filter(|&&j| w.subregion[j] == w.subregion[i])
            .map(|&j| w.freedom[j])
            .collect();
        w.freedom[i] = if peers.is_empty() {
            global
        } else {
            peers.iter().sum::<f64>() / peers.len() as f64
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gravity() -> Gravity {
        Gravity {
            origin_gdp_exponent: 1.0,
            partner_gdp_exponent: 1.0,
            distance_exponent: 1.0,
            min_distance_km: 100.0,
            top_partners: 20,
            bloc_boost: vec![("EU27".into(), 1.65)],
        }
    }

    #[test]
    fn bundled_world_has_every_state_and_group() {
        let w = load(None, true, None, &gravity()).unwrap();
        assert_eq!(w.len(), 183);
        assert_eq!(w.groups.members("EU27").unwrap().len(), 27);
        assert_eq!(w.groups.members("AU").unwrap().len(), 55);
        assert!(w.freedom.iter().all(|f| f.is_finite() && (0.0..=10.0).contains(f)));
        assert_eq!(w.freedom_imputed.iter().filter(|&&x| x).count(), 23);
        assert_eq!(w.ties.len(), 183);
        let sov = load(None, false, None, &gravity()).unwrap();
        assert_eq!(sov.len(), 179);
        // ESH is an AU member but not sovereign: it drops out of the group with its row.
        assert_eq!(sov.groups.members("AU").unwrap().len(), 54);
    }

    #[test]
    fn largest_partners_of_canada_include_the_us() {
        let w = load(None, true, None, &gravity()).unwrap();
        let can = w.state("CAN").unwrap() as usize;
        let usa = w.state("USA").unwrap();
        let (targets, weights) = w.ties.row(can);
        let (best, _) = targets.iter().zip(weights).max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
        assert_eq!(*best, usa);
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let header = "iso3,name,sovereign,status,continent,subregion,pop_2019,gdp_2019_musd,lon,lat,point_type,hf_score,pf_score,ef_score,internet_users,data_source\n";
        let good = "AAA,A,1,UN member,Europe,X,10,10,0,0,centroid,5,5,5,1,NE\n";
        let bad = "BBB,B,1,UN member,Europe,X,ten,10,0,0,centroid,5,5,5,1,NE\n";
        std::fs::write(dir.path().join("countries.csv"), format!("{header}{good}{bad}")).unwrap();
        std::fs::write(dir.path().join("memberships.csv"), "iso3,group,since,source,note\n").unwrap();
        let e = load(Some(dir.path()), true, None, &gravity()).unwrap_err().to_string();
        assert!(e.contains("countries.csv:3:"), "{e}");
        assert!(e.contains("column `pop_2019`: expected a number, found `ten`"), "{e}");
    }
}
