#!/usr/bin/env bash
# Issue 14 item 3: global-batch negatives (loss.negatives = global) against per-worker negatives at the same
# global batch (2 workers x 512), MovieLens-1M (ratings >= 4, leave-last-out by time, full catalog, seen items
# filtered), ID and history towers, standard and refined, 3 seeds; then the summary with 95 % t intervals and
# paired (same seed) differences. Results: docs/benchmarks.md, "Global-batch negatives".
#
#   bench/run-global-negatives.sh [--work DIR] [key=value ...]     (about 60 minutes on 2 cores)
#   DATASETS=gowalla TOWERS=id bench/run-global-negatives.sh       (the ID tower on Gowalla's 41k items, ~40 min)
#
# Every run goes through the job itself (bench/run-quality.sh, QualityBenchmark, Main.run). Settings: those the
# quality section chose on ML-1M's validation split for the ID tower with local negatives (d 64, L2, tau 0.1,
# Adam lr 0.02, batch 512 per worker, 10 epochs), unchanged for the history tower (mean of the last 20 items) and
# for global negatives; split.validation = none, as in that protocol (the whole training part trains).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=target/global-negatives
if [[ "${1:-}" == "--work" ]]; then WORK=$2; shift 2; fi
for tower in ${TOWERS:-id history}; do
  for negatives in local global; do
    bench/run-quality.sh --datasets "${DATASETS:-ml-1m}" --phase test --seeds 1,2,3 --losses standard,refined \
      --seed-losses standard,refined --no-baselines --tag "$tower-$negatives" --work "$WORK" \
      model.userTower="$tower" model.historyLength=20 loss.negatives="$negatives" split.validation=none "$@"
  done
done
python3 bench/summarize_global_negatives.py "$WORK/runs"
