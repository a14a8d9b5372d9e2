#!/usr/bin/env bash
# Quality benchmark: Recall@10/20 and nDCG@10/20 of none / standard / refined / full and of Spark
# MLlib ALS (implicit) on MovieLens-1M (leave-last-out by time) and Gowalla (the LightGCN split),
# full-catalog evaluation with seen items filtered. Results: docs/benchmarks.md, section
# "Quality: MovieLens-1M and Gowalla". Not part of `mvn test`.
#
#   bench/run-quality.sh                 # the documented run (both data sets, test phase)
#   bench/run-quality.sh [options] [key=value ...]
#
# Options (passed to dev.logq.job.QualityBenchmark, job/src/test/java):
#   --datasets ml-1m,gowalla   which data sets
#   --phase test|valid         valid: tune without touching the test interactions (ML-1M: every
#                              user's last interaction is dropped first; Gowalla: train.txt vs valid.txt)
#   --seeds 1,2                train.seed values; the first runs --mode compare, the others repeat
#                              the seed losses with --mode train ("" for none: ALS only)
#   --seed-losses standard,refined   the losses repeated with the further seeds
#   --losses standard,refined  only these losses (--mode train each), e.g. for tuning
#   --als-rank 64 --als-iter 15 --als-reg 0.1 --als-alpha 10   ALS settings; comma lists make a grid
#                              (default: the validation-tuned settings per data set, see docs/benchmarks.md)
#   --no-large-full            do not run the full softmax on catalogs above 20k items (Gowalla),
#                              which compare mode skips and this benchmark otherwise runs last, on its own
#   --large-full-epochs 1      epochs of that full-softmax run (and of a standard run beside it, same budget)
#   --no-baselines             skip the baselines (most popular, ALS)
#   --tag NAME                 names this run's results: <dataset>-<phase>-<tag>
#   --work DIR                 scratch and results (default target/quality-bench; data extracted there)
#   key=value                  job configuration overrides for every two-tower run (see README.md)
#
# The data sets are read from $LOGQ_SHARED_DATA (default: ../shared/data next to the project root);
# they are extracted under the work directory, never into the repository's tracked files.
# Results: <work>/results/<dataset>-<phase>[-<tag>].{json,md}; every job run's full output under <work>/runs.
# JVM options: LOGQ_BENCH_JAVA_OPTS (default -Xmx5g).
set -euo pipefail

# All in one function, read completely before it runs: editing this file during a run is safe.
main() {
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cd "$ROOT"
  SHARED="${LOGQ_SHARED_DATA:-$ROOT/../shared/data}"
  CP_FILE="$ROOT/job/target/test-classpath.txt"  # written by the build below

  echo "quality-bench: compiling (mvn -o test-compile) ..." >&2
  # One reactor build: the job module sees this checkout's common classes, not whatever logq-common
  # happens to be installed in ~/.m2.
  mvn -B -q -o test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt >&2

  # Defaults of the documented run (docs/benchmarks.md); arguments given on the command line come later and win.
  # Chosen on the validation phase (docs/benchmarks.md), once for every loss and both data sets.
  DEFAULTS=(
    --seeds 1,2 --seed-losses standard,refined
    model.userTower=id model.embeddingDim=64 model.outputDim=64 model.l2Normalize=true model.temperature=0.1
    train.optimizer=adam train.learningRate=0.02 train.batchSize=512 train.workers=2 train.syncEvery=1 train.epochs=10
    loss.standardCorrectPositive=true
    # The documented tables were measured with the examples placed by example; the id tower's default is by user
    # since session 22 (docs/benchmarks.md, "Placement by user: quality"): pass train.placement=user for it.
    train.placement=example
  )
  JAVA_OPENS="$(grep -v '^[[:space:]]*$' "$ROOT/conf/java17.args" | tr '\n' ' ')"
  # A run takes tens of minutes: run from a copy of the compiled classes, so rebuilding the checkout
  # meanwhile cannot change classes the running JVM has not loaded yet.
  SNAP="$(mktemp -d "$ROOT/job/target/quality-bench-classes.XXXXXX")"
  trap 'rm -rf "$SNAP"' EXIT
  cp -r "$ROOT/common/target/classes" "$SNAP/common"
  cp -r "$ROOT/job/target/classes" "$SNAP/job"
  cp -r "$ROOT/job/target/test-classes" "$SNAP/job-test"
  DEPS="$(tr ':' '\n' < "$CP_FILE" | grep -v -x "$ROOT/common/target/classes" | paste -sd: -)"
  # shellcheck disable=SC2086
  java $JAVA_OPENS ${LOGQ_BENCH_JAVA_OPTS:--Xmx5g} -XX:+UseParallelGC \
    -Dlogq.sharedData="$SHARED" \
    -Dlog4j2.configurationFile="$ROOT/bench/log4j2-quality.properties" \
    -cp "$SNAP/job-test:$SNAP/job:$SNAP/common:$DEPS" \
    dev.logq.job.QualityBenchmark "${DEFAULTS[@]}" "$@"
}

# exit on the same line: bash reads a script as it runs it, so a file edited during the run must not be read on.
main "$@"; exit $?
