//! Parameters drawn jointly: `[joint.NAME]`, a set of key paths whose values a run draws together,
//! either from a multivariate normal (`mean`, `cov`, an optional `transform` per key) or as one row
//! of a draws file (`draws = "FILE.csv"`, a column per key, e.g. a posterior or bootstrap sample).
//! A parameter takes its value from a set with `KEY = { dist = "joint", set = "NAME" }`; the set
//! lists the keys it covers, so a what-if that fixes one of them keeps the others drawn (from their
//! marginal in the same draw). `blocsim calibrate` writes one for its estimates, so the estimation
//! uncertainty flows into every batch and compare of `calibrated.toml`.
//!
//! Each set draws from its own stream ([`crate::rng::parameter_rng`] of `joint.NAME`): one vector
//! of standard normals z, then x = mean + L z (L the Cholesky factor of `cov`, summed in key order)
//! and each coordinate through its transform; or one row, uniformly, so runs are independent draws
//! of the sample.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::rng::Generator;

/// `[joint.NAME]` as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawJoint {
    /// Key paths the set covers, in the order of `mean`, `cov`, `transform` and the draws file's columns.
    pub keys: Vec<String>,
    /// Mean of the normal, one per key (before the transforms).
    #[serde(default)]
    pub mean: Option<Vec<f64>>,
    /// Covariance matrix of the normal, key by key.
    #[serde(default)]
    pub cov: Option<Vec<Vec<f64>>>,
    /// Transform of each coordinate (`identity`, `log` or `logit`; default identity).
    #[serde(default)]
    pub transform: Option<Vec<String>>,
    /// A CSV file of draws, a column per key (instead of `mean` and `cov`).
    #[serde(default)]
    pub draws: Option<std::path::PathBuf>,
    /// The draws file's sha256, written into the resolved scenario so that a batch's identity
    /// covers the file's content; when given, a file that no longer matches is refused.
    #[serde(default)]
    pub draws_sha256: Option<String>,
}

/// How a normal coordinate maps to the parameter's own scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// x itself: a parameter on the whole line.
    Identity,
    /// exp(x): a positive parameter.
    Log,
    /// 1 / (1 + exp(−x)): a parameter in (0, 1).
    Logit,
}

impl Transform {
    /// The names accepted in `transform`, in variant order.
    pub const NAMES: [&str; 3] = ["identity", "log", "logit"];

    /// The transform named `name`, if any.
    pub fn parse(name: &str) -> Option<Transform> {
        match name {
            "identity" => Some(Transform::Identity),
            "log" => Some(Transform::Log),
            "logit" => Some(Transform::Logit),
            _ => None,
        }
    }

    /// The name written in `transform`.
    pub fn name(self) -> &'static str {
        match self {
            Transform::Identity => "identity",
            Transform::Log => "log",
            Transform::Logit => "logit",
        }
    }

    /// The parameter's value for the normal coordinate `x`.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Transform::Identity => x,
            Transform::Log => x.exp(),
            Transform::Logit => 1.0 / (1.0 + (-x).exp()),
        }
    }

    /// The values the parameter can take.
    pub fn support(self) -> (f64, f64) {
        match self {
            Transform::Identity => (f64::NEG_INFINITY, f64::INFINITY),
            Transform::Log => (0.0, f64::INFINITY),
            Transform::Logit => (0.0, 1.0),
        }
    }
}

/// What a set draws from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Multivariate normal: the mean, the lower Cholesky factor of the covariance (row-major), the
    /// transform of each coordinate.
    Normal {
        /// Mean of each coordinate, in key order.
        mean: Vec<f64>,
        /// Lower Cholesky factor of the covariance, one row per coordinate.
        chol: Vec<Vec<f64>>,
        /// Transform of each coordinate.
        transform: Vec<Transform>,
    },
    /// Rows of a draws file, each a full vector in the set's key order.
    Rows(Vec<Vec<f64>>),
}

/// A validated joint set.
#[derive(Debug, Clone, PartialEq)]
pub struct Joint {
    /// The set's name (`NAME` of `[joint.NAME]`).
    pub name: String,
    /// Key paths the set covers, in coordinate order.
    pub keys: Vec<String>,
    /// What a draw comes from.
    pub source: Source,
}

impl Joint {
    /// The stream key of this set.
    pub fn stream_key(&self) -> String {
        format!("joint.{}", self.name)
    }

    /// One draw of the whole vector, in key order.
    pub fn draw(&self, rng: &mut Generator) -> Vec<f64> {
        match &self.source {
            Source::Normal { mean, chol, transform } => {
                let z: Vec<f64> = (0..mean.len()).map(|_| StandardNormal.sample(rng)).collect();
                (0..mean.len())
                    .map(|i| {
                        let mut x = mean[i];
                        for (l, zj) in chol[i].iter().zip(&z).take(i + 1) {
                            x += l * zj;
                        }
                        transform[i].apply(x)
                    })
                    .collect()
            }
            Source::Rows(rows) => rows[rng.random_range(0..rows.len())].clone(),
        }
    }

    /// Where coordinate `i` is centred: the transformed mean (its median for log and logit), or the
    /// mean of its column.
    pub fn centre(&self, i: usize) -> f64 {
        match &self.source {
            Source::Normal { mean, transform, .. } => transform[i].apply(mean[i]),
            Source::Rows(rows) => rows.iter().map(|r| r[i]).sum::<f64>() / rows.len() as f64,
        }
    }

    /// A range that holds most of coordinate `i`: the transformed mean ± 2 sd, or the column's
    /// smallest and largest values.
    pub fn range(&self, i: usize) -> (f64, f64) {
        match &self.source {
            Source::Normal { mean, chol, transform } => {
                let sd = chol[i].iter().take(i + 1).map(|l| l * l).sum::<f64>().sqrt();
                (transform[i].apply(mean[i] - 2.0 * sd), transform[i].apply(mean[i] + 2.0 * sd))
            }
            Source::Rows(_) => self.support(i),
        }
    }

    /// The values coordinate `i` can take.
    pub fn support(&self, i: usize) -> (f64, f64) {
        match &self.source {
            Source::Normal { transform, .. } => transform[i].support(),
            Source::Rows(rows) => rows
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| (lo.min(r[i]), hi.max(r[i]))),
        }
    }
}

/// The lower Cholesky factor of a symmetric matrix, or the first row at which it is not positive
/// definite.
pub fn cholesky(cov: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, usize> {
    let m = nalgebra::DMatrix::from_fn(cov.len(), cov.len(), |r, c| cov[r][c]);
    let chol = nalgebra::Cholesky::new(m).ok_or_else(|| {
        // The first leading minor that is not positive: the row to name.
        (1..=cov.len())
            .find(|&n| nalgebra::DMatrix::from_fn(n, n, |r, c| cov[r][c]).cholesky().is_none())
            .map_or(0, |n| n - 1)
    })?;
    let l = chol.l();
    Ok((0..cov.len()).map(|r| (0..cov.len()).map(|c| l[(r, c)]).collect()).collect())
}

#[cfg(test)]
#[path = "joint_tests.rs"]
mod tests;
