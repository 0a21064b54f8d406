//! Every bundled scenario validates, resolves against its world and runs a small batch.

use blocsim::Scenario;
use blocsim::batch::{BatchOptions, run_batch};
use blocsim::model::Model;
use blocsim::scenario::bundled;

#[test]
fn every_bundled_scenario_loads_and_runs() {
    assert!(bundled::all().len() >= 2);
    for (name, _) in bundled::all() {
        let scenario = Scenario::load(name, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let model = Model::from_scenario(scenario).unwrap_or_else(|e| panic!("{name}: {e}"));
        let opts = BatchOptions {
            runs: 3,
            seed: 1,
            threads: Some(2),
            shard: None,
            detail: false,
            out: None,
            command: vec![],
        };
        let result = run_batch(&model, &opts, &|_| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(result.aggregator.runs(), 3, "{name}");
    }
}
