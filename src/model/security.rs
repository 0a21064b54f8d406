//! S: security ties — alliance memberships that draw a state to a framework (or push it away:
//! secondary-sanction risk), plus export-control penalties imposed by a framework's sponsor.

use crate::world::StateId;

/// Add `weight` to `s[i*K + k]` for every member i of a group.
pub fn add_group(s: &mut [f64], members: &[StateId], k: usize, frameworks: usize, weight: f64) {
    for &i in members {
        s[i as usize * frameworks + k] += weight;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_weight_lands_on_members_only() {
        let mut s = vec![0.0; 6];
        add_group(&mut s, &[1], 0, 2, 1.5);
        assert_eq!(s, vec![0.0, 0.0, 1.5, 0.0, 0.0, 0.0]);
    }
}
