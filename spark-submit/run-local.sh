#!/usr/bin/env bash
# Runs the job in Spark local mode on this machine, with no Spark installation needed.
#
#   spark-submit/run-local.sh [--conf FILE] [--mode train|compare|generate] [--overwrite] [--resume] [key=value ...]
#
# Without arguments it trains on the embedded synthetic data set with conf/logq.conf and writes to
# output/logq-run (add --overwrite to replace an earlier run). Extra JVM options: LOGQ_JAVA_OPTS
# (default -Xmx4g). The exit status is the job's: 0 success, 1 runtime failure, 2 bad configuration,
# 3 bad input data, 4 output exists (README.md, "Exit codes").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
logq_build_if_needed

args=("$@")
has_conf=0
for a in "${args[@]+"${args[@]}"}"; do [[ "$a" == "--conf" || "$a" == --conf=* ]] && has_conf=1; done
if [[ $has_conf == 0 ]]; then
  args=(--conf "$LOGQ_HOME/conf/logq.conf" "${args[@]}")
fi

cd "$LOGQ_HOME"
# shellcheck disable=SC2086
exec java $LOGQ_JAVA_OPENS ${LOGQ_JAVA_OPTS:--Xmx4g} -Dlogq.defaultMaster="local[*]" \
  -cp "$LOGQ_JAR:$(cat "$LOGQ_CLASSPATH_FILE")" dev.logq.job.Main "${args[@]}"
