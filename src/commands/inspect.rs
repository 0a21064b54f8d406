//! `check`, `scenarios` and `meanfield`: what a scenario is, as text (nothing is written).

/// `blocsim check`: the scenario validated, and what it resolves to.
pub fn check(scenario: &str, sets: &[String]) -> anyhow::Result<String> {
    let model = super::load(scenario, sets)?;
    Ok(crate::describe::describe(&model))
}

/// `blocsim scenarios`: the bundled scenarios, one line each.
pub fn scenarios() -> String {
    use crate::scenario::bundled;
    bundled::all()
        .iter()
        .map(|(name, text)| format!("{name:<28} {}\n", bundled::summary(text)))
        .collect()
}

/// `blocsim meanfield`: the mean-field fixed points of every domain and their stability.
pub fn meanfield(scenario: &str, sets: &[String]) -> anyhow::Result<String> {
    let model = super::load(scenario, sets)?;
    Ok(crate::meanfield::report(&model)?)
}
