//! `[joint.NAME]`: parameters drawn together. `calibrate`'s `calibrated.toml` draws its estimates
//! from their multivariate normal (sample moments against the estimates, within standard errors
//! from theory); a what-if that fixes one key keeps the others' draws run by run; a draws file is
//! sampled by rows and pinned by its sha256; bad sets exit 2 naming the file, the key and what was
//! expected.

use std::path::Path;

use crate::support::Test;

const FIT: &str = "scenarios/data/observed/fit-2017.toml";

/// `runs.csv` of a batch as columns by header name.
fn column(dir: &Path, key: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    let mut lines = text.lines();
    let at = lines
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == key)
        .unwrap_or_else(|| panic!("no column {key}"));
    lines.map(|l| l.split(',').nth(at).unwrap().parse().unwrap()).collect()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    sxy / (sxx * syy).sqrt()
}

/// The `(mean, cov)` arrays of `[joint.calibrated]` as written in a calibrated.toml.
fn joint_of(text: &str) -> (Vec<String>, Vec<f64>, Vec<Vec<f64>>) {
    let doc: toml::Table = text.parse().unwrap();
    let set = &doc["joint"]["calibrated"];
    let nums = |v: &toml::Value| v.as_array().unwrap().iter().map(|x| x.as_float().unwrap()).collect::<Vec<f64>>();
    let keys = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    (keys, nums(&set["mean"]), set["cov"].as_array().unwrap().iter().map(nums).collect())
}

#[test]
fn calibrated_scenarios_draw_the_estimates_jointly_and_a_fixed_key_keeps_the_others_paired() {
    let cal = Test::with(["calibrate", FIT, "--observed", "scenarios/data/observed", "--no-profiles"])
        .temp_out("cal")
        .run()
        .success();
    let calibrated = cal.out().join("calibrated.toml");
    let (keys, m, cov) = joint_of(&std::fs::read_to_string(&calibrated).unwrap());
    let n = 2000;
    let batch = Test::with(["batch"])
        .arg(&calibrated)
        .args(["--runs", "2000", "--no-plots"])
        .temp_out("b")
        .run()
        .success();
    let draws: Vec<Vec<f64>> = keys.iter().map(|k| column(batch.out(), k)).collect();
    for (i, k) in keys.iter().enumerate() {
        // The sample mean's standard error is sd/√n.
        let se = (cov[i][i] / n as f64).sqrt();
        assert!(
            (mean(&draws[i]) - m[i]).abs() < 4.0 * se,
            "{k}: mean {} against {} ± {se}",
            mean(&draws[i]),
            m[i]
        );
    }
    // econ and network: the sample correlation's standard error is about (1 − ρ²)/√n.
    let rho = cov[0][1] / (cov[0][0] * cov[1][1]).sqrt();
    let r = correlation(&draws[0], &draws[1]);
    assert!(
        rho.abs() > 0.3,
        "the fit correlates econ and network ({rho}); the check needs a correlation to find"
    );
    assert!(
        (r - rho).abs() < 4.0 * (1.0 - rho * rho) / (n as f64).sqrt(),
        "correlation {r} against {rho}"
    );

    // A what-if fixing the network weight draws the other keys exactly as the calibrated batch.
    let dir = tempfile::tempdir().unwrap();
    let whatif = dir.path().join("off.toml");
    std::fs::write(
        &whatif,
        format!(
            "extends = {:?}\nname = \"off\"\n[utility]\nnetwork = 0\n",
            calibrated.display().to_string()
        ),
    )
    .unwrap();
    let off = Test::with(["batch"])
        .arg(&whatif)
        .args(["--runs", "50", "--no-plots"])
        .temp_out("off")
        .run()
        .success();
    let text = std::fs::read_to_string(off.out().join("runs.csv")).unwrap();
    assert!(
        !text.lines().next().unwrap().contains("utility.network"),
        "network is fixed in the what-if"
    );
    for k in keys.iter().filter(|k| *k != "utility.network") {
        assert_eq!(column(off.out(), k)[..], column(batch.out(), k)[..50], "{k}");
    }
}

const SET: &str = "name = \"j\"\nextends = \"baseline\"\n[utility]\necon = { dist = \"joint\", set = \"s\" }\n";

fn refused(dir: &Path, text: &str, needles: &[&str]) {
    let path = dir.join("j.toml");
    std::fs::write(&path, text).unwrap();
    let message = Test::with(["check"]).arg(&path).run().input_error();
    for n in needles {
        assert!(message.contains(n), "expected {n:?} in: {message}");
    }
}

#[test]
fn bad_joint_sets_are_refused_naming_the_key_and_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let normal = |extra: &str| format!("{SET}[joint.s]\nkeys = [\"utility.econ\"]\n{extra}");
    refused(
        d,
        &normal("mean = [1.0]\ncov = [[-1.0]]\n"),
        &["j.toml:", "joint.s.cov", "not positive definite"],
    );
    refused(
        d,
        &normal("mean = [1.0, 2.0]\ncov = [[1.0]]\n"),
        &["joint.s.mean", "expected 1 finite numbers"],
    );
    refused(
        d,
        &normal("mean = [1.0]\ncov = [[1.0]]\ntransform = [\"exp\"]\n"),
        &["joint.s.transform", "identity, log, logit"],
    );
    refused(d, &normal("mean = [1.0]\n"), &["joint.s", "either `mean` and `cov`"]);
    refused(d, SET, &["utility.econ", "no set `[joint.s]`"]);
    refused(
        d,
        &format!("{SET}[joint.s]\nkeys = [\"utility.network\"]\nmean = [1.0]\ncov = [[1.0]]\n"),
        &["utility.econ", "does not list `utility.econ`"],
    );
    refused(
        d,
        &format!("{SET}[joint.s]\nkeys = [\"utility.econ\", \"utility.ecno\"]\nmean = [1.0, 1.0]\ncov = [[1.0, 0.0], [0.0, 1.0]]\n"),
        &["joint.s.keys", "`utility.ecno` is not a parameter"],
    );
    // A revision rate must stay in [0, 1]: an identity normal can leave it.
    refused(
        d,
        "name = \"j\"\nextends = \"baseline\"\n[domain.telecom]\nrevision_rate = { dist = \"joint\", set = \"s\" }\n[joint.s]\nkeys = [\"domain.telecom.revision_rate\"]\nmean = [0.1]\ncov = [[0.01]]\n",
        &["domain.telecom.revision_rate", "expected a probability in [0, 1]"],
    );
    std::fs::write(d.join("draws.csv"), "utility.econ,lp\n1.5,-3\nabc,-2\n").unwrap();
    refused(
        d,
        &normal("draws = \"draws.csv\"\n"),
        &["draws.csv:3", "`utility.econ`: expected a finite number, found `abc`"],
    );
    std::fs::write(d.join("draws.csv"), "econ\n1.5\n").unwrap();
    refused(d, &normal("draws = \"draws.csv\"\n"), &["draws.csv:1", "no column `utility.econ`"]);
}

#[test]
fn a_draws_file_is_sampled_by_rows_and_its_content_is_part_of_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("draws.csv"),
        "utility.econ,utility.network,lp\n0.5,1.5,0\n1.0,2.0,0\n2.0,0.25,0\n",
    )
    .unwrap();
    let text = "name = \"j\"\nextends = \"baseline\"\n[utility]\necon = { dist = \"joint\", set = \"s\" }\nnetwork = { dist = \"joint\", set = \"s\" }\n\
                [joint.s]\nkeys = [\"utility.econ\", \"utility.network\"]\ndraws = \"draws.csv\"\n";
    let path = d.join("j.toml");
    std::fs::write(&path, text).unwrap();
    let run = Test::with(["batch"])
        .arg(&path)
        .args(["--runs", "60", "--no-plots"])
        .temp_out("b")
        .run()
        .success();
    let (econ, network) = (column(run.out(), "utility.econ"), column(run.out(), "utility.network"));
    let rows = [(0.5, 1.5), (1.0, 2.0), (2.0, 0.25)];
    for (e, n) in econ.iter().zip(&network) {
        assert!(rows.contains(&(*e, *n)), "({e}, {n}) is not a row of the file");
    }
    for row in rows {
        assert!(econ.contains(&row.0), "60 runs draw every one of 3 rows (P(miss one) < 3·(2/3)^60)");
    }
    // The file's content is part of the scenario's identity (the manifest's scenario_sha256), and
    // a scenario pinned to other content is refused.
    let identity = |dir: &Path| -> String {
        let m: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        m["scenario_sha256"].as_str().unwrap().to_string()
    };
    let sha = blocsim::export::sha256_hex(&std::fs::read(d.join("draws.csv")).unwrap());
    std::fs::write(&path, format!("{text}draws_sha256 = \"{sha}\"\n")).unwrap();
    let pinned = Test::with(["batch"])
        .arg(&path)
        .args(["--runs", "60", "--no-plots"])
        .temp_out("p")
        .run()
        .success();
    assert_eq!(
        identity(pinned.out()),
        identity(run.out()),
        "pinning the sha it already had changes nothing"
    );
    assert_eq!(
        std::fs::read(pinned.out().join("runs.csv")).unwrap(),
        std::fs::read(run.out().join("runs.csv")).unwrap()
    );
    std::fs::write(d.join("draws.csv"), "utility.econ,utility.network\n0.5,1.5\n").unwrap();
    let message = Test::with(["check"]).arg(&path).run().input_error();
    assert!(message.contains("joint.s.draws_sha256") && message.contains("not the"), "{message}");
    std::fs::write(&path, text).unwrap();
    let changed = Test::with(["batch"])
        .arg(&path)
        .args(["--runs", "60", "--no-plots"])
        .temp_out("c")
        .run()
        .success();
    assert_ne!(identity(changed.out()), identity(run.out()), "other draws, another scenario");
}
