//! The world: which states exist, their attributes, the groups they belong to and the ties between them.
//!
//! A [`World`] is built once per batch from the scenario's `[world]` table and never changes during a
//! run; everything that changes lives in the run's state. Attributes are stored as struct-of-arrays
//! indexed by a compact [`StateId`], ties as a compressed sparse row matrix ([`Ties`]).

pub mod countries;
pub mod custom;
pub mod gravity;
pub mod rows;
pub mod synthetic;
pub mod vintage;

use std::sync::Arc;

use crate::error::Result;
use crate::scenario::{Selector, WorldSource, WorldSpec};

/// Index of a state in the world (0-based, dense).
pub type StateId = u32;

/// Named groups of states (alliances, blocs, regimes), each a sorted list of members.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Groups {
    /// Group names, sorted.
    pub names: Vec<String>,
    /// Members of each group, sorted ascending, no duplicates.
    pub members: Vec<Vec<StateId>>,
}

impl Groups {
    /// Build from (group name, member) pairs in any order.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, StateId)>) -> Groups {
        let mut map: std::collections::BTreeMap<String, Vec<StateId>> = Default::default();
        for (g, i) in pairs {
            map.entry(g).or_default().push(i);
        }
        let mut names = Vec::new();
        let mut members = Vec::new();
        for (g, mut m) in map {
            m.sort_unstable();
            m.dedup();
            names.push(g);
            members.push(m);
        }
        Groups { names, members }
    }

    /// Members of the group called `name`, if it exists.
    pub fn members(&self, name: &str) -> Option<&[StateId]> {
        self.names.iter().position(|n| n == name).map(|g| self.members[g].as_slice())
    }

    /// Whether `state` belongs to group `name` (false for unknown groups).
    pub fn contains(&self, name: &str, state: StateId) -> bool {
        self.members(name).is_some_and(|m| m.binary_search(&state).is_ok())
    }
}

/// State identifiers in one string buffer: the id of state i is `text[ends[i - 1]..ends[i]]`
/// (`ends[-1]` = 0). Four bytes per state besides the characters, instead of a `String` each (24
/// bytes and an allocation of at least 32): some 44 MB less at a million states.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids {
    text: String,
    ends: Vec<u32>,
}

impl Ids {
    /// Append an id. Panics if the ids together exceed 4 GiB of text (far beyond
    /// [`crate::limits::MAX_AGENTS`] states with ids of ordinary length).
    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends
            .push(u32::try_from(self.text.len()).expect("state ids exceed 4 GiB of text"));
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no ids.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The id of state `i`.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// Every id, in state order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The ids as owned strings (for labels and small worlds' look-up tables).
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }

    /// Heap bytes held: the text and the ends, at their capacities.
    pub fn heap_bytes(&self) -> u64 {
        (self.text.capacity() + 4 * self.ends.capacity()) as u64
    }

    /// Ids that all take `width` bytes, concatenated in `text` (synthetic worlds).
    pub(crate) fn equal_width(text: String, width: usize) -> Ids {
        let n = text.len() / width.max(1);
        let ends = (1..=n)
            .map(|i| u32::try_from(i * width).expect("state ids exceed 4 GiB of text"))
            .collect();
        Ids { text, ends }
    }
}

impl std::ops::Index<usize> for Ids {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        self.get(i)
    }
}

impl<S: AsRef<str>> FromIterator<S> for Ids {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Ids {
        let mut ids = Ids::default();
        for s in iter {
            ids.push(s.as_ref());
        }
        ids
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Ids {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const L: usize> PartialEq<[S; L]> for Ids {
    fn eq(&self, other: &[S; L]) -> bool {
        *self == other[..]
    }
}

/// Directed weighted ties in compressed sparse row form: the partners of state i are
/// `targets[offsets[i]..offsets[i+1]]` with `weights` at the same positions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ties {
    /// Start of each state's row in `targets`, N + 1 entries (the last is the number of ties).
    pub offsets: Vec<usize>,
    /// Partner of each tie, row by row.
    pub targets: Vec<StateId>,
    /// Weights, normalised so that each row's absolute values sum to 1 (unless the custom world asked
    /// for raw weights). May be negative in custom worlds. Empty when every tie has one weight
    /// (synthetic worlds): `uniform` then holds it.
    pub weights: Vec<f32>,
    /// The one weight of every tie, repeated as often as the longest row has ties, when `weights`
    /// is empty: 4 bytes per tie fewer for worlds whose ties all weigh the same.
    pub uniform: Vec<f32>,
    /// Sum of absolute raw weights of each row before normalisation: the state's trade volume, used to
    /// weight states in the fragmentation index.
    pub row_total: Vec<f64>,
}

impl Ties {
    /// Build from per-row lists of (target, raw weight); rows are normalised unless `raw`.
    /// Entries of each row are sorted by target.
    pub fn from_rows(rows: Vec<Vec<(StateId, f64)>>, raw: bool) -> Ties {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        let mut targets = Vec::new();
        let mut weights = Vec::new();
        let mut row_total = Vec::with_capacity(rows.len());
        offsets.push(0);
        for mut row in rows {
            row.sort_by_key(|&(j, _)| j);
            let total: f64 = row.iter().map(|&(_, w)| w.abs()).sum();
            for (j, w) in row {
                targets.push(j);
                let w = if raw || total == 0.0 { w } else { w / total };
                weights.push(w as f32);
            }
            offsets.push(targets.len());
            row_total.push(total);
        }
        Ties {
            offsets,
            targets,
            weights,
            uniform: Vec::new(),
            row_total,
        }
    }

    /// Number of rows (states).
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Partners and weights of state `i`.
    #[inline]
    pub fn row(&self, i: usize) -> (&[StateId], &[f32]) {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        let weights = if self.weights.is_empty() { &self.uniform[..b - a] } else { &self.weights[a..b] };
        (&self.targets[a..b], weights)
    }
}

/// The continent and subregion of every state of a synthetic world.
pub const SYNTHETIC_REGION: &str = "synthetic";

/// All states of a simulation, as struct-of-arrays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct World {
    /// Numeric columns `x_NAME` of a custom world's agents.csv, (name, value per state), in
    /// column order: covariates the revision rate may use (`[rate]`). Empty for other worlds.
    pub columns: Vec<(String, Vec<f64>)>,
    /// Identifier of each state (ISO3 code for countries, an id for synthetic and custom worlds).
    pub ids: Ids,
    /// Display name of each state; empty when every name is the state's id (synthetic worlds, where
    /// a copy would take some 56 bytes per state): read them with [`World::name`].
    pub names: Vec<String>,
    /// Continent of each state, for `continent:` selectors (shared strings); empty when every
    /// state's is [`SYNTHETIC_REGION`] (synthetic worlds): read them with [`World::continent`].
    pub continent: Vec<Arc<str>>,
    /// Subregion of each state, for `subregion:` selectors (shared strings too); empty like
    /// `continent`: read them with [`World::subregion`].
    pub subregion: Vec<Arc<str>>,
    /// GDP, million US$.
    pub gdp: Vec<f64>,
    /// Population, persons.
    pub population: Vec<f64>,
    /// Freedom score on a 0–10 scale (Human Freedom Index for countries), imputed where missing.
    pub freedom: Vec<f64>,
    /// Whether `freedom` was imputed for the state.
    pub freedom_imputed: Vec<bool>,
    /// Longitude in degrees (WGS84).
    pub lon: Vec<f64>,
    /// Latitude in degrees (WGS84).
    pub lat: Vec<f64>,
    /// Named groups and their members (`group:` selectors).
    pub groups: Groups,
    /// Weighted ties between the states (gravity trade ties for countries).
    pub ties: Ties,
    /// One line saying where the world came from, for `check` and the manifest.
    pub description: String,
}

impl World {
    /// Bytes of a world with these sizes: ids, names, continent and subregion strings; GDP,
    /// population, freedom, position; the tie rows.
    pub fn footprint(sizes: &crate::limits::Sizes) -> u64 {
        use crate::limits::{mul, sat_sum};
        sat_sum(&[mul(&[sizes.agents, 216]), mul(&[sizes.ties, 16])])
    }

    /// Build the world a scenario asks for.
    pub fn build(spec: &WorldSpec) -> Result<World> {
        match &spec.source {
            WorldSource::Countries {
                data_dir,
                include_non_sovereign,
                vintage,
            } => countries::load(data_dir.as_deref(), *include_non_sovereign, vintage.as_deref(), &spec.gravity),
            WorldSource::Synthetic {
                agents,
                degree,
                seed,
                gdp_sigma,
                groups,
            } => Ok(synthetic::build(*agents, *degree, *seed, *gdp_sigma, *groups)),
            WorldSource::Custom { agents, ties, raw_weights } => custom::load(agents, ties, *raw_weights),
        }
    }

    /// Number of states.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The continent of state `i` ([`SYNTHETIC_REGION`] when none is stored).
    pub fn continent(&self, i: usize) -> &str {
        self.continent.get(i).map_or(SYNTHETIC_REGION, |s| s)
    }

    /// The subregion of state `i` ([`SYNTHETIC_REGION`] when none is stored).
    pub fn subregion(&self, i: usize) -> &str {
        self.subregion.get(i).map_or(SYNTHETIC_REGION, |s| s)
    }

    /// The display name of state `i`.
    pub fn name(&self, i: usize) -> &str {
        self.names.get(i).map_or(&self.ids[i], |s| s)
    }

    /// The display name of every state.
    pub fn all_names(&self) -> Vec<String> {
        (0..self.len()).map(|i| self.name(i).to_string()).collect()
    }

    /// Whether the world has no states.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Index of the state with identifier `id`.
    pub fn state(&self, id: &str) -> Option<StateId> {
        self.ids.iter().position(|s| s == id).map(|i| i as StateId)
    }

    /// The states a selector picks, as a mask; the error message names the term that matched nothing.
    /// Terms: `all`, `group:NAME`, `continent:NAME`, `subregion:NAME`, or a state id.
    pub fn select(&self, selector: &Selector) -> std::result::Result<Vec<bool>, (usize, String)> {
        let mut mask = vec![false; self.len()];
        for (i, term) in selector.include.iter().enumerate() {
            self.mark(term, &mut mask, true).map_err(|m| (i, m))?;
        }
        for (i, term) in selector.except.iter().enumerate() {
            self.mark(term, &mut mask, false).map_err(|m| (selector.include.len() + i, m))?;
        }
        Ok(mask)
    }

    fn mark(&self, term: &str, mask: &mut [bool], value: bool) -> std::result::Result<(), String> {
        let term = term.trim();
        if term == "all" {
            mask.iter_mut().for_each(|m| *m = value);
            return Ok(());
        }
        let by_attr = |continent: bool, name: &str, what: &str, mask: &mut [bool]| {
            let mut any = false;
            for i in 0..self.len() {
                let attr = if continent { self.continent(i) } else { self.subregion(i) };
                if attr == name {
                    mask[i] = value;
                    any = true;
                }
            }
            if any {
                Ok(())
            } else {
                Err(format!("no state has {what} `{name}`"))
            }
        };
        if let Some(g) = term.strip_prefix("group:") {
            let members = self
                .groups
                .members(g)
                .ok_or_else(|| format!("unknown group `{g}`; the world's groups are: {}", self.groups.names.join(", ")))?;
            for &i in members {
                mask[i as usize] = value;
            }
            Ok(())
        } else if let Some(c) = term.strip_prefix("continent:") {
            by_attr(true, c, "continent", mask)
        } else if let Some(s) = term.strip_prefix("subregion:") {
            by_attr(false, s, "subregion", mask)
        } else {
            let i = self.state(term).ok_or_else(|| {
                format!("unknown state `{term}`; expected a state id, `all`, `group:NAME`, `continent:NAME` or `subregion:NAME`")
            })?;
            mask[i as usize] = value;
            Ok(())
        }
    }
}
