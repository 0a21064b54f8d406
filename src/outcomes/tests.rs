use super::families::bernoulli;
use super::*;

fn labels() -> Labels {
    Labels {
        scenario: "t".into(),
        frameworks: vec!["EU".into(), "US".into()],
        domains: vec!["telecom".into(), "data".into()],
        state_ids: vec!["A".into(), "B".into(), "C".into(), "D".into()],
        state_names: vec![],
        uncertain: vec![],
        start_year: 2025,
    }
}

fn run() -> (RunOutcome, Layout) {
    let layout = layout_of(&labels(), 2);
    let o = RunOutcome {
        run: 0,
        draws: vec![],
        counts: vec![2, 2, 1, 3, 3, 1, 0, 4],
        gdp_shares: vec![0.5, 0.5, 0.5, 0.5, 0.9, 0.1, 0.2, 0.8],
        pop_shares: vec![0.1, 0.9, 0.3, 0.7],
        fragmentation: vec![0.4, 0.3],
        fragmentation_final: vec![0.2, 0.4],
        hedging: vec![0.0, 0.25],
        bloc: vec![0.5, 0.0],
        switches: vec![3, 4],
        tipping_year: vec![Some(2026), None, None, Some(2026)],
        final_alignment: vec![],
    };
    (o, layout)
}

#[test]
fn every_name_is_unique_and_parses_back_to_its_outcome() {
    let l = labels();
    let all = expand(&layout_of(&l, 2), |_| true);
    let names: Vec<String> = all.iter().map(|o| o.name(&l.domains, &l.frameworks)).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "{names:?}");
    assert_eq!(all.len(), 4 + 4 + 4 + 2 + 1 + 1 + 2 + 2 + 1 + 4 + 4);
    for (o, name) in all.iter().zip(&names) {
        match Outcome::parse(name, &l) {
            Ok(p) => assert_eq!(p, *o, "{name}"),
            Err(e) => assert!(
                !o.family().uses.selectable && e.to_string().contains("not a number in every run"),
                "{e}"
            ),
        }
    }
}

#[test]
fn former_spellings_are_accepted_by_parse_and_named_by_the_hint() {
    let l = labels();
    let name = |s: &str| Outcome::parse(s, &l).unwrap().name(&l.domains, &l.frameworks);
    assert_eq!(name("share:data:US"), "final_share.data.US");
    assert_eq!(name("final_pop_share.data.EU"), "final_population_share.data.EU");
    assert_eq!(name("population_share:data:EU"), "final_population_share.data.EU");
    assert_eq!(name("fragmentation.data"), "fragmentation_by_domain.data");
    assert_eq!(name("fragmentation:data"), "fragmentation_by_domain.data");
    assert_eq!(name("indices.hedging"), "hedging");
    assert_eq!(name("switches.telecom"), "switches_by_domain.telecom");
    assert_eq!(name("bloc:US"), "bloc.US");
    assert_eq!(name(" fragmentation "), "fragmentation");
    let hint = former_spelling("gdp_share:telecom:EU", &l.domains, &l.frameworks).unwrap();
    assert!(hint.contains("`final_gdp_share.telecom.EU`"), "{hint}");
    assert_eq!(former_spelling("final_gdp_share.telecom.EU", &l.domains, &l.frameworks), None);
    assert_eq!(former_spelling("share:cloud:EU", &l.domains, &l.frameworks), None, "unknown domain");
}

#[test]
fn unknown_and_unselectable_names_are_refused_with_what_exists() {
    let l = labels();
    let e = Outcome::parse("final_share.cloud.EU", &l).unwrap_err().to_string();
    assert!(e.contains("domains: telecom, data") && e.contains("frameworks: EU, US"), "{e}");
    assert!(e.contains("final_share.<domain>.<fw>") && !e.contains("tipping_year"), "{e}");
    let e = Outcome::parse("tipping_year.data.US", &l).unwrap_err().to_string();
    assert!(e.contains("tipped.<domain>.<fw>"), "{e}");
    assert!(Outcome::parse("final_share.data", &l).is_err());
}

#[test]
fn values_are_read_from_a_run() {
    let l = labels();
    let (o, layout) = run();
    let v = |s: &str| Outcome::parse(s, &l).unwrap().value(&o, &layout);
    assert_eq!(v("final_share.telecom.EU"), Some(0.75));
    assert_eq!(v("final_gdp_share.data.US"), Some(0.8));
    assert_eq!(v("final_population_share.data.EU"), Some(0.3));
    assert_eq!(v("fragmentation"), Some(0.3));
    assert_eq!(v("fragmentation_by_domain.data"), Some(0.4));
    assert_eq!(v("hedging"), Some(0.25));
    assert_eq!(v("bloc.EU"), Some(0.5));
    assert_eq!(v("switches"), Some(7.0));
    assert_eq!(v("switches_by_domain.data"), Some(4.0));
    assert_eq!(v("tipped.telecom.US"), Some(0.0));
    assert_eq!(v("tipped.data.US"), Some(1.0));
    let year = expand(&layout, |f| f.name == "tipping_year");
    let years: Vec<Option<f64>> = year.iter().map(|y| y.value(&o, &layout)).collect();
    assert_eq!(years, [Some(2026.0), None, None, Some(2026.0)]);
}

#[test]
fn bernoulli_statistics_follow_the_aggregators_definitions() {
    assert!(bernoulli(0, 0).mean.is_nan());
    let one = bernoulli(1, 1);
    assert_eq!((one.mean, one.sd, one.p05, one.p95), (1.0, 0.0, 1.0, 1.0));
    for runs in 1..30u64 {
        for ones in 0..=runs {
            let s = bernoulli(ones, runs);
            // Brute force: sorted values, lower empirical quantile at rank ceil(p R / 100).
            let xs: Vec<f64> = (0..runs).map(|i| f64::from(u8::from(i >= runs - ones))).collect();
            let q = |p: u64| xs[((p * runs).div_ceil(100).max(1) - 1) as usize];
            assert_eq!([s.p05, s.p25, s.p50, s.p75, s.p95], [q(5), q(25), q(50), q(75), q(95)]);
            let mean = xs.iter().sum::<f64>() / runs as f64;
            assert!((s.mean - mean).abs() < 1e-15);
            if runs > 1 {
                let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (runs - 1) as f64;
                assert!((s.sd - var.sqrt()).abs() < 1e-12, "{ones}/{runs}");
            }
        }
    }
}
