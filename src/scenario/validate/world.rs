//! `[world]`: which states exist (the country data, a synthetic world or custom CSV files, with
//! paths taken relative to the scenario) and the gravity model of their trade ties.

use std::path::{Path, PathBuf};

use super::Validator;
use super::checks::Range;
use crate::error::Result;
use crate::limits::{MAX_DATA_BYTES, MAX_DEGREE};
use crate::scenario::raw::RawWorld;
use crate::scenario::{Gravity, WorldSource, WorldSpec};

impl Validator {
    pub(super) fn world(&self, w: &RawWorld, base_dir: Option<&Path>) -> Result<WorldSpec> {
        let rel = |p: &Path| -> PathBuf {
            match base_dir {
                Some(dir) if p.is_relative() => dir.join(p),
                _ => p.to_path_buf(),
            }
        };
        if w.vintage.is_some() && w.source != "countries" {
            return Err(self.err("world.vintage", "applies to source = \"countries\" only"));
        }
        let source = match w.source.as_str() {
            "countries" => WorldSource::Countries {
                data_dir: w.data_dir.as_deref().map(rel),
                include_non_sovereign: w.include_non_sovereign,
                vintage: w.vintage.as_deref().map(rel),
            },
            "synthetic" => {
                let s = w.synthetic.as_ref().ok_or_else(|| {
                    self.err(
                        "world.synthetic",
                        "source = \"synthetic\" needs a [world.synthetic] table (agents, degree)",
                    )
                })?;
                // No upper bound here: the memory estimate (crate::limits) refuses large worlds
                // with the figures, after the rest of the scenario is known.
                let agents = self.count("world.synthetic.agents", s.agents, 2, i64::MAX)?;
                let degree = self.count("world.synthetic.degree", s.degree, 0, (agents - 1).min(MAX_DEGREE) as i64)?;
                let gdp_sigma = self.number("world.synthetic.gdp_sigma", s.gdp_sigma, Range::NonNegative)?;
                let groups = self.count("world.synthetic.groups", s.groups, 0, 64)?;
                WorldSource::Synthetic {
                    agents,
                    degree,
                    seed: s.seed,
                    gdp_sigma,
                    groups,
                }
            }
            "custom" => {
                let c = w
                    .custom
                    .as_ref()
                    .ok_or_else(|| self.err("world.custom", "source = \"custom\" needs a [world.custom] table (agents, ties)"))?;
                let (agents, ties) = (rel(&c.agents), rel(&c.ties));
                for (key, file) in [("world.custom.agents", &agents), ("world.custom.ties", &ties)] {
                    // A regular file of bounded size: not a directory, a device or a pipe that never ends.
                    let meta = std::fs::metadata(file)
                        .and_then(|m| std::fs::File::open(file).map(|_| m))
                        .map_err(|e| self.err(key, format!("cannot read {}: {e}", file.display())))?;
                    if !meta.is_file() {
                        return Err(self.err(key, format!("{} is not a regular file; expected a CSV file", file.display())));
                    }
                    if meta.len() > MAX_DATA_BYTES {
                        return Err(self.err(
                            key,
                            format!(
                                "{} is {}; at most {} are read",
                                file.display(),
                                crate::limits::human(meta.len()),
                                crate::limits::human(MAX_DATA_BYTES)
                            ),
                        ));
                    }
                }
                WorldSource::Custom {
                    agents,
                    ties,
                    raw_weights: c.raw_weights,
                }
            }
            other => {
                return Err(self.err(
                    "world.source",
                    format!("expected \"countries\", \"synthetic\" or \"custom\", found \"{other}\""),
                ));
            }
        };
        let g = &w.gravity;
        let gravity = Gravity {
            origin_gdp_exponent: self.number("world.gravity.origin_gdp_exponent", g.origin_gdp_exponent, Range::NonNegative)?,
            partner_gdp_exponent: self.number("world.gravity.partner_gdp_exponent", g.partner_gdp_exponent, Range::NonNegative)?,
            distance_exponent: self.number("world.gravity.distance_exponent", g.distance_exponent, Range::NonNegative)?,
            min_distance_km: self.number("world.gravity.min_distance_km", g.min_distance_km, Range::Positive)?,
            top_partners: self.count("world.gravity.top_partners", g.top_partners, 1, 10_000)?,
            bloc_boost: g
                .bloc_boost
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        self.number(&format!("world.gravity.bloc_boost.{k}"), *v, Range::Positive)?,
                    ))
                })
                .collect::<Result<_>>()?,
        };
        Ok(WorldSpec { source, gravity })
    }
}
