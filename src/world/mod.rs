//! The world: which states exist, their attributes, the groups they belong to and the ties between them.
//!
//! A [`World`] is built once per batch from the scenario's `[world]` table and never changes during a
//! run; everything that changes lives in the run's state. Attributes are stored as struct-of-arrays
//! indexed by a compact [`StateId`], ties as a compressed sparse row matrix ([`Ties`]).

pub mod countries;
pub mod custom;
pub mod gravity;
mod neighbours;
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
            m.shrink_to_fit();
            names.push(g);
            members.push(m);
        }
        Groups { names, members }
    }

    /// Bytes these groups hold on the heap (capacities).
    pub fn heap_bytes(&self) -> u64 {
        let names: usize = self.names.iter().map(String::capacity).sum::<usize>() + 24 * self.names.capacity();
        let members: usize = self.members.iter().map(|m| 4 * m.capacity()).sum::<usize>() + 24 * self.members.capacity();
        (names + members) as u64
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
        use rayon::prelude::*;
        let n = text.len() / width.max(1);
        let ends = (1..=n)
            .into_par_iter()
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

    /// Bytes these ties hold on the heap (capacities).
    pub fn heap_bytes(&self) -> u64 {
        (8 * self.offsets.capacity()
            + 4 * (self.targets.capacity() + self.weights.capacity() + self.uniform.capacity())
            + 8 * self.row_total.capacity()) as u64
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
        let weights = if self.weights.is_empty() {
            &self.uniform[..b - a]
        } else {
            &self.weights[a..b]
        };
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
    /// Longitude in degrees (WGS84); empty for synthetic worlds, whose agents have no position.
    pub lon: Vec<f64>,
    /// Latitude in degrees (WGS84); empty like `lon`.
    pub lat: Vec<f64>,
    /// Named groups and their members (`group:` selectors).
    pub groups: Groups,
    /// Weighted ties between the states (gravity trade ties for countries).
    pub ties: Ties,
    /// One line saying where the world came from, for `check` and the manifest.
    pub description: String,
}

impl World {
    /// Bytes of a world with these sizes: per state, the row offset and trade volume, GDP,
    /// population, freedom (and whether imputed), the id (and, unless `uniform_ties`, the
    /// position, an allowance for a longer id, a name, a continent and a subregion); per tie, the partner
    /// (and, unless `uniform_ties`, the weight); group memberships. Exact for synthetic worlds
    /// (see [`World::heap_bytes`] and the tests of `footprint`) apart from a few short strings.
    pub fn footprint(sizes: &crate::limits::Sizes) -> u64 {
        use crate::limits::{mul, sat_sum};
        let n = sizes.agents;
        let digits = u64::from(n.checked_ilog10().unwrap_or(0) + 1);
        let (per_tie, per_state) = if sizes.uniform_ties {
            (4, 8 + 8 + 24 + 1 + 4 + 1 + digits)
        } else {
            // Ids of up to 16 bytes, names of up to 32, two shared region strings.
            (8, 8 + 8 + 40 + 1 + 4 + 16 + 24 + 32 + 2 * 16)
        };
        let degree = if sizes.uniform_ties && n > 0 { sizes.ties / n } else { 0 };
        let bytes = sat_sum(&[
            mul(&[n, per_state]),
            8,
            mul(&[sizes.ties, per_tie]),
            mul(&[degree, 4]),
            mul(&[sizes.group_members, 4]),
        ]);
        // Real and custom worlds fill their arrays row by row: capacities up to twice the lengths.
        if sizes.uniform_ties { bytes } else { mul(&[bytes, 2]) }
    }

    /// Bytes this world holds on the heap (capacities of its arrays and strings; shared region
    /// strings once each).
    pub fn heap_bytes(&self) -> u64 {
        let strings = |v: &Vec<String>| v.iter().map(|s| s.capacity() as u64).sum::<u64>() + 24 * v.capacity() as u64;
        let regions = |v: &Vec<Arc<str>>| {
            let mut seen: Vec<*const u8> = Vec::new();
            let mut bytes = 16 * v.capacity() as u64;
            for s in v {
                if !seen.contains(&s.as_ptr()) {
                    seen.push(s.as_ptr());
                    bytes += (16 + s.len() as u64).next_multiple_of(8);
                }
            }
            bytes
        };
        let f64s = |v: &Vec<f64>| 8 * v.capacity() as u64;
        let columns: u64 =
            self.columns.iter().map(|(c, v)| c.capacity() as u64 + f64s(v)).sum::<u64>() + 48 * self.columns.capacity() as u64;
        columns
            + self.ids.heap_bytes()
            + strings(&self.names)
            + regions(&self.continent)
            + regions(&self.subregion)
            + [&self.gdp, &self.population, &self.freedom, &self.lon, &self.lat]
                .iter()
                .map(|v| f64s(v))
                .sum::<u64>()
            + self.freedom_imputed.capacity() as u64
            + self.groups.heap_bytes()
            + self.ties.heap_bytes()
            + self.description.capacity() as u64
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
            for (i, m) in mask.iter_mut().enumerate().take(self.len()) {
                let attr = if continent { self.continent(i) } else { self.subregion(i) };
                if attr == name {
                    *m = value;
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
