use super::*;
use crate::rng::parameter_rng;

fn normal(mean: Vec<f64>, cov: &[Vec<f64>], transform: Vec<Transform>) -> Joint {
    Joint {
        name: "fit".into(),
        keys: (0..mean.len()).map(|i| format!("k{i}")).collect(),
        source: Source::Normal {
            chol: cholesky(cov).unwrap(),
            mean,
            transform,
        },
    }
}

#[test]
fn normal_draws_have_the_mean_and_covariance_asked_for() {
    // Σ = [[1, 0.6·2], [0.6·2, 4]]: sd 1 and 2, correlation 0.6.
    let cov = vec![vec![1.0, 1.2], vec![1.2, 4.0]];
    let j = normal(vec![0.5, -1.0], &cov, vec![Transform::Identity; 2]);
    let n = 20_000;
    let xs: Vec<Vec<f64>> = (0..n).map(|run| j.draw(&mut parameter_rng(3, run, "joint.fit"))).collect();
    let mean = |i: usize| xs.iter().map(|x| x[i]).sum::<f64>() / n as f64;
    let (m0, m1) = (mean(0), mean(1));
    let c = |a: usize, b: usize, ma: f64, mb: f64| xs.iter().map(|x| (x[a] - ma) * (x[b] - mb)).sum::<f64>() / (n - 1) as f64;
    let nf = n as f64;
    // Standard errors: of a mean sd/√n; of a sample covariance √((σ_ab² + σ_aa σ_bb)/n).
    assert!((m0 - 0.5).abs() < 4.0 * (1.0 / nf).sqrt(), "mean 0: {m0}");
    assert!((m1 + 1.0).abs() < 4.0 * (4.0 / nf).sqrt(), "mean 1: {m1}");
    for (a, b) in [(0, 0), (0, 1), (1, 1)] {
        let se = ((cov[a][b] * cov[a][b] + cov[a][a] * cov[b][b]) / nf).sqrt();
        let got = c(a, b, [m0, m1][a], [m0, m1][b]);
        assert!(
            (got - cov[a][b]).abs() < 4.0 * se,
            "cov[{a}][{b}] = {got}, expected {} ± {se}",
            cov[a][b]
        );
    }
}

#[test]
fn draws_are_pinned() {
    // Value stability: these numbers are the stream; a change here changes every joint batch.
    let j = normal(
        vec![1.0, 0.2],
        &[vec![0.25, 0.05], vec![0.05, 0.04]],
        vec![Transform::Identity, Transform::Logit],
    );
    let x = j.draw(&mut parameter_rng(11, 0, "joint.fit"));
    let y = j.draw(&mut parameter_rng(11, 1, "joint.fit"));
    let got: Vec<String> = x.iter().chain(&y).map(|v| format!("{v:.12}")).collect();
    assert_eq!(got, PINNED);
}

const PINNED: [&str; 4] = ["1.052887668022", "0.539371508775", "0.700804938379", "0.487416678901"];

#[test]
fn transforms_map_into_their_supports() {
    let j = normal(
        vec![0.0, 0.0],
        &[vec![9.0, 0.0], vec![0.0, 9.0]],
        vec![Transform::Log, Transform::Logit],
    );
    for run in 0..500 {
        let x = j.draw(&mut parameter_rng(1, run, "joint.fit"));
        assert!(x[0] > 0.0 && x[1] > 0.0 && x[1] < 1.0, "{x:?}");
    }
    assert_eq!(j.centre(0), 1.0);
    assert_eq!(j.centre(1), 0.5);
    let (lo, hi) = j.range(1);
    assert!((lo - 1.0 / (1.0 + 6f64.exp())).abs() < 1e-12 && (hi - 1.0 / (1.0 + (-6f64).exp())).abs() < 1e-12);
    assert_eq!(Transform::parse("exp"), None);
}

#[test]
fn rows_are_drawn_uniformly() {
    let rows: Vec<Vec<f64>> = (0..4).map(|r| vec![r as f64, 10.0 * r as f64]).collect();
    let j = Joint {
        name: "post".into(),
        keys: vec!["a".into(), "b".into()],
        source: Source::Rows(rows),
    };
    let n = 8_000u64;
    let mut count = [0usize; 4];
    for run in 0..n {
        let x = j.draw(&mut parameter_rng(2, run, "joint.post"));
        assert_eq!(x[1], 10.0 * x[0], "a row is drawn whole");
        count[x[0] as usize] += 1;
    }
    // Binomial(n, 1/4): sd √(n·¼·¾).
    let sd = (n as f64 * 0.25 * 0.75).sqrt();
    for c in count {
        assert!((c as f64 - n as f64 / 4.0).abs() < 4.0 * sd, "{count:?}");
    }
    assert_eq!(j.centre(1), 15.0);
    assert_eq!(j.support(0), (0.0, 3.0));
}

#[test]
fn a_matrix_that_is_not_positive_definite_names_its_row() {
    assert_eq!(cholesky(&[vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 2.0], vec![0.0, 2.0, 1.0]]), Err(2));
    assert_eq!(cholesky(&[vec![-1.0]]), Err(0));
    let l = cholesky(&[vec![4.0, 2.0], vec![2.0, 2.0]]).unwrap();
    assert_eq!(l, vec![vec![2.0, 0.0], vec![1.0, 1.0]]);
}
