//! The revision rate's covariates (`[rate]`): with no utility terms and no switching cost, a state
//! that reconsiders picks either of two frameworks with probability ½, so in one year it switches
//! with probability ρ_i / 2, where ρ_i = σ(logit ρ + β z_i) and z_i its standardised log population.
//! The simulated switches of the more and the less populous halves of the states each match that
//! sum within four binomial standard errors; the halves differ by far more.

use blocsim::Scenario;
use blocsim::model::Model;
use blocsim::model::rate::shifted;
use blocsim::rng::{Purpose, run_rng};
use blocsim::run::Simulation;

const SCENARIO: &str = r#"
name = "rate-covariates"
frameworks = ["A", "B"]
domains = ["x"]
[time]
start = 2025
end = 2026
[world]
source = "countries"
[choice]
lambda = 1.0
revision = "synchronous"
[rate]
ln_population = 1.2
[domain.x]
revision_rate = 0.2
switching_cost = 0.0
initial = [{ states = ["all"], shares = { A = 0.5, B = 0.5 } }]
"#;

#[test]
fn each_state_reconsiders_at_its_own_rate() {
    let model = Model::from_scenario(Scenario::from_str("rate.toml", SCENARIO).unwrap()).unwrap();
    let n = model.world.len();
    let z = &model.rate_z;
    assert_eq!(z.len(), n);
    let runs = 400u64;
    let seed = 7;
    // [expected, variance, simulated] per half: z < 0 and z >= 0.
    let mut halves = [[0.0f64; 3]; 2];
    for r in 0..runs {
        let draws = model.scenario.draws(seed, r);
        let mut sim = Simulation::new(&model, &draws, &mut run_rng(seed, r, Purpose::Setup));
        let before = sim.alignment().to_vec();
        sim.step(1, &mut run_rng(seed, r, Purpose::Dynamics));
        for i in 0..n {
            let h = &mut halves[usize::from(z[i] >= 0.0)];
            let p = shifted(0.2, 1.2 * z[i]) / 2.0;
            h[0] += p;
            h[1] += p * (1.0 - p);
            h[2] += f64::from(u8::from(sim.alignment()[i] != before[i]));
        }
    }
    for (name, [mean, var, got]) in ["less populous", "more populous"].iter().zip(halves) {
        let se = var.sqrt();
        println!("VALIDATION | rate covariates | switches, {name} half | {mean:.1} | {got:.0} | {se:.1} | | {n} | {runs} | 1 | {seed}");
        assert!(
            (got - mean).abs() < 4.0 * se,
            "{name}: simulated {got}, expected {mean:.1} ± 4 × {se:.2}"
        );
    }
    // Power: the halves' expected switches differ by far more than their standard errors.
    let [lo, hi] = halves;
    assert!(hi[0] - lo[0] > 10.0 * (lo[1] + hi[1]).sqrt(), "{} vs {}", lo[0], hi[0]);
}

/// `check` shows the covariates and their coefficients.
#[test]
fn check_lists_the_rate_covariates() {
    let model = Model::from_scenario(Scenario::from_str("rate.toml", SCENARIO).unwrap()).unwrap();
    let text = blocsim::describe::describe(&model);
    assert!(text.contains("rate covariates") && text.contains("ln_population 1.2"), "{text}");
}

/// Without `[rate]` nothing changes: the model has no covariates and every output is the one the
/// scenario gave before the table existed (the byte-identity of the bundled scenarios' outputs is
/// checked by the snapshot tests).
#[test]
fn a_bad_covariate_is_refused_with_its_key() {
    let bad = SCENARIO.replace("ln_population = 1.2", "ln_gdp = 1.2");
    let err = Scenario::from_str("rate.toml", &bad).unwrap_err().to_string();
    assert!(err.contains("rate.ln_gdp") && err.contains("ln_gdp_per_capita"), "{err}");
    assert!(err.starts_with("rate.toml:"), "{err}");
    let bad = SCENARIO.replace("ln_population = 1.2", "ln_population = \"high\"");
    assert!(Scenario::from_str("rate.toml", &bad).is_err());
}

/// A custom world's numeric column `x_NAME` is a covariate like the built-in ones: standardised
/// over the agents; a column the world lacks is refused with its key.
#[test]
fn a_custom_world_column_is_a_covariate() {
    let dir = tempfile::tempdir().unwrap();
    let (a, t) = (dir.path().join("agents.csv"), dir.path().join("ties.csv"));
    std::fs::write(&a, "id,x_ports\na,1\nb,2\nc,3\nd,6\n").unwrap();
    std::fs::write(&t, "source,target,weight\na,b,1\nb,c,1\nc,d,1\nd,a,1\n").unwrap();
    let text = |cov: &str| {
        format!(
            "name = \"columns\"\nframeworks = [\"A\", \"B\"]\ndomains = [\"x\"]\n[time]\nstart = 0\nend = 2\n\
             [world]\nsource = \"custom\"\n[world.custom]\nagents = {a:?}\nties = {t:?}\n[choice]\nlambda = 1.0\n\
             revision = \"synchronous\"\n[rate]\n{cov} = 0.7\n[domain.x]\nrevision_rate = 0.3\nswitching_cost = 0.0\n\
             initial = [{{ states = [\"all\"], shares = {{ A = 1.0 }} }}]\n"
        )
    };
    let model = Model::from_scenario(Scenario::from_str("columns.toml", &text("x_ports")).unwrap()).unwrap();
    // (1, 2, 3, 6): mean 3, population SD √3.5.
    let sd = 3.5f64.sqrt();
    for (z, x) in model.rate_z.iter().zip([1.0, 2.0, 3.0, 6.0]) {
        assert!((z - (x - 3.0) / sd).abs() < 1e-12, "{z}");
    }
    let err = Model::from_scenario(Scenario::from_str("columns.toml", &text("x_berths")).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rate.x_berths") && err.contains("no column `x_berths`") && err.contains("x_ports"),
        "{err}"
    );
}
