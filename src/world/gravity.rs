//! Gravity-model trade ties between real states.
//!
//! The gravity law of trade (Tinbergen 1962; Anderson and van Wincoop 2003; Head and Mayer 2014)
//! predicts bilateral trade from the two economies' sizes and the distance between them:
//!
//! ```text
//! W_ij = GDP_i^a · GDP_j^b / max(dist_ij, d_min)^c · Π_{g ∋ i, j} boost_g
//! ```
//!
//! where the product runs over the blocs (EU27, ASEAN, AU...) that both states belong to, standing
//! in for the trade-creating effect of regional agreements. Each state keeps only its `top_partners`
//! largest ties (a sparse network that still holds most of the trade mass), and rows are normalised
//! to sum to one; the raw row total is kept as the state's trade volume.

use crate::scenario::Gravity;
use crate::world::{Groups, StateId, Ties};

/// Mean Earth radius, km (IUGG).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance between two points given in degrees, km (haversine formula).
pub fn distance_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Multiplicative bloc boost of each pair, from (group name, multiplier) settings; groups that the
/// world does not have are skipped here (the model reports them as errors).
fn boost_table(groups: &Groups, boosts: &[(String, f64)], n: usize) -> Vec<Vec<(u32, f64)>> {
    // For each state, the boosted groups it belongs to, as (group index in `boosts`, multiplier).
    let mut member_of = vec![Vec::new(); n];
    for (b, (name, factor)) in boosts.iter().enumerate() {
        if let Some(members) = groups.members(name) {
            for &i in members {
                member_of[i as usize].push((b as u32, *factor));
            }
        }
    }
    member_of
}

/// Gravity ties for states with the given GDP and positions; see the module documentation.
pub fn ties(gdp: &[f64], lon: &[f64], lat: &[f64], groups: &Groups, g: &Gravity) -> Ties {
    let n = gdp.len();
    let member_of = boost_table(groups, &g.bloc_boost, n);
    let mut rows = Vec::with_capacity(n);
    let mut candidates: Vec<(StateId, f64)> = Vec::with_capacity(n);
    for i in 0..n {
        candidates.clear();
        let origin = gdp[i].powf(g.origin_gdp_exponent);
        for j in (0..n).filter(|&j| j != i) {
            let dist = distance_km(lon[i], lat[i], lon[j], lat[j]).max(g.min_distance_km);
            let mut w = origin * gdp[j].powf(g.partner_gdp_exponent) / dist.powf(g.distance_exponent);
            for &(b, factor) in &member_of[i] {
                if member_of[j].iter().any(|&(c, _)| c == b) {
                    w *= factor;
                }
            }
            if w > 0.0 && w.is_finite() {
                candidates.push((j as StateId, w));
            }
        }
        // Largest first; ties broken by the lower index so the kept set is deterministic.
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        rows.push(candidates.iter().take(g.top_partners).copied().collect());
    }
    Ties::from_rows(rows, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gravity(top: usize, boost: Vec<(String, f64)>) -> Gravity {
        Gravity {
            origin_gdp_exponent: 1.0,
            partner_gdp_exponent: 1.0,
            distance_exponent: 1.0,
            min_distance_km: 100.0,
            top_partners: top,
            bloc_boost: boost,
        }
    }

    #[test]
    fn haversine_matches_known_distances() {
        // A quarter of a meridian, and Paris-London (about 344 km).
        let quarter = distance_km(0.0, 0.0, 0.0, 90.0);
        assert!((quarter - std::f64::consts::FRAC_PI_2 * EARTH_RADIUS_KM).abs() < 1e-6);
        let d = distance_km(2.3522, 48.8566, -0.1276, 51.5072);
        assert!((d - 344.0).abs() < 2.0, "{d}");
    }

    #[test]
    fn weights_follow_the_gravity_law_and_rows_sum_to_one() {
        // Partners 1 and 2 of state 0: same GDP, partner 2 twice as far -> half the weight.
        let gdp = [1.0, 3.0, 3.0];
        let lon = [0.0, 10.0, 20.0];
        let lat = [0.0; 3];
        let t = ties(&gdp, &lon, &lat, &Groups::default(), &gravity(5, vec![]));
        let (targets, w) = t.row(0);
        assert_eq!(targets, &[1, 2]);
        assert!((f64::from(w[0]) / f64::from(w[1]) - 2.0).abs() < 1e-5);
        assert!((w.iter().map(|&x| f64::from(x)).sum::<f64>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn top_partners_and_bloc_boost() {
        let gdp = [1.0, 1.0, 1.0, 1.0];
        let lon = [0.0, 10.0, 20.0, 30.0];
        let lat = [0.0; 4];
        let groups = Groups::from_pairs([("B".to_string(), 0), ("B".to_string(), 3)]);
        let t = ties(&gdp, &lon, &lat, &groups, &gravity(1, vec![("B".to_string(), 5.0)]));
        // Without the boost state 0's nearest partner is 1; 3 is three times as far but boosted 5x.
        assert_eq!(t.row(0).0, &[3]);
        assert_eq!(t.row(1).0.len(), 1);
    }
}
