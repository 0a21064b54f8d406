#!/bin/bash
# Submit the job array and the merge that waits for it. Pass variables through the environment:
#   BLOCSIM=$PWD/target/release/blocsim SCENARIO=baseline RUNS=20000 OUT=$PWD/output/shards examples/slurm/submit.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --export=ALL "$here/batch-array.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --export=ALL --dependency=afterok:"$array" "$here/merge.sbatch")
echo "submitted job array $array and merge job ${merge%%;*}"
