#!/usr/bin/env bash
# The sequence tower's training speed end to end through the job (Main on ML-1M, local[1], 1 worker, one epoch,
# no validation) next to bench/torch_sasrec.py (PyTorch nn.TransformerEncoder, one thread, the same L, B, d,
# blocks and in-batch softmax over the batch's distinct targets), in one script run. docs/benchmarks.md,
# "Sequential tower: speed end to end". Not part of `mvn test`.
#
#   bench/run-seq-speed.sh [L B]     # default 50 64 (the quality benchmark's shapes); 200 128 is issue 11's
#
# Java: positions/s from the run's curve.csv (examples/s counts loss rows = valid positions) and train seconds;
# one worker on local[1], so that is per core (the driver's averaging shares the machine). PyTorch: synthetic
# Zipf windows with every position valid; Java's windows are ML-1M's, padded where a history is shorter than L;
# then PyTorch again on the same kind of ML-1M windows (torch_sasrec.py --windows), the like-for-like peer.
# Needs Debian's python3-torch and libopenblas0-pthread (netlib's native BLAS); OPENBLAS_NUM_THREADS=1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
L="${1:-50}"
B="${2:-64}"
WORK="${LOGQ_SPEED_WORK:-$ROOT/target/seq-speed}"
mkdir -p "$(dirname "$WORK")"
export OPENBLAS_NUM_THREADS=1
echo "== machine"; lscpu | grep -E '^(Model name|CPU\(s\))' || true; uptime
update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep '^Value' || true

echo "== PyTorch, one thread, L $L, B $B"
/usr/bin/python3 bench/torch_sasrec.py "$L" "$B"
uptime

echo "== Java, through Main: ML-1M, local[1], 1 worker, 1 epoch, L $L, B $B windows"
bench/run-quality.sh --datasets ml-1m --phase test --seeds 1 --losses none --no-baselines --master 'local[1]' \
  --tag "speed-L$L-B$B" --work "$WORK" \
  model.userTower=sequence model.sequenceLength="$L" train.batchSize="$B" train.workers=1 train.epochs=1 \
  split.validation=none train.learningRate=0.005 >"$WORK.log" 2>&1 || { tail -20 "$WORK.log"; exit 1; }
uptime
curve="$(ls "$WORK"/runs/ml-1m-test-speed-L$L-B$B/none-seed1/curve.csv)"
echo "curve: $curve"
tail -3 "$curve"
grep -o '"train_seconds" *: *[^,}]*' "$WORK/results/ml-1m-test-speed-L$L-B$B.json" || true

echo "== PyTorch, one thread, L $L, B $B, on the job's own ML-1M windows (valid positions only)"
/usr/bin/python3 bench/torch_sasrec.py "$L" "$B" --windows "$WORK/data/ml-1m/ratings_pos4.tsv"
uptime
