#!/usr/bin/env bash
# Submits the job to a cluster with spark-submit (which must be on PATH or in $SPARK_HOME/bin).
#
#   spark-submit/submit.sh MASTER [--deploy-mode client|cluster] [--spark-conf k=v ...] \
#       [--conf FILE] [--mode train|compare|generate] [--overwrite] [--resume] [key=value ...]
#
#   MASTER: yarn | spark://host:7077 | k8s://https://host:443 | local[*]
#   --spark-conf k=v   passed to spark-submit as --conf k=v (executor memory, cores, queue, ...)
#   everything else    passed to the job (see README.md for the keys)
#
# The config file is shipped with --files, so cluster deploy mode works with a local file.
# LOGQ_PRINT_ONLY=1 prints the command instead of running it (airflow/test_logq_command.py compares
# it with the Airflow DAG's). LOGQ_ASSEMBLY=PATH submits that jar (e.g. hdfs:///apps/logq/...jar)
# instead of the one built in job/target. The exit status is the job's in client deploy mode.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ $# -lt 1 ]]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
master="$1"; shift
deploy_mode="client"
spark_confs=()
job_args=()
conf_file="$LOGQ_HOME/conf/logq.conf"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --deploy-mode) deploy_mode="$2"; shift 2 ;;
    --spark-conf) spark_confs+=(--conf "$2"); shift 2 ;;
    --conf) conf_file="$2"; shift 2 ;;
    --conf=*) conf_file="${1#--conf=}"; shift ;;
    *) job_args+=("$1"); shift ;;
  esac
done
if [[ ! -f "$conf_file" ]]; then
  echo "logq: config file not found: $conf_file" >&2
  exit 2
fi

if [[ -z "${LOGQ_PRINT_ONLY:-}" ]]; then
  logq_build_if_needed
elif [[ -z "$LOGQ_ASSEMBLY" ]]; then
  LOGQ_ASSEMBLY="$LOGQ_HOME/job/target/logq-job-assembly.jar"  # not built yet
fi
submit="spark-submit"
if [[ -n "${SPARK_HOME:-}" ]]; then submit="$SPARK_HOME/bin/spark-submit"; fi

# In cluster mode the driver runs on a cluster node. YARN and Kubernetes put the --files in its
# working directory, so it refers to the file by name. A standalone master does not (the file only
# reaches SparkFiles, after the config is read), so there the file's absolute path is passed: it must
# be readable at that path on every worker (a shared filesystem), or use client mode.
conf_ref="$conf_file"
cluster_confs=()
if [[ "$deploy_mode" == "cluster" ]]; then
  if [[ "$master" == spark://* ]]; then
    conf_ref="$(cd "$(dirname "$conf_file")" && pwd)/$(basename "$conf_file")"
    # Return when the driver ends, not when it is submitted. Spark 3.5 still exits 0 when the driver
    # failed: in this mode the job's exit code is lost, check for _SUCCESS in the output instead.
    cluster_confs=(--conf spark.standalone.submit.waitAppCompletion=true)
    echo "logq: standalone cluster mode: spark-submit's exit status does not reflect the job's" \
      "(use --deploy-mode client for exit codes); the driver reads $conf_ref on its worker" >&2
  else
    conf_ref="$(basename "$conf_file")"
  fi
fi

# The order of Airflow's SparkSubmitHook (master, --conf..., --files, --name, --class, --deploy-mode,
# application, arguments), so that airflow/logq_command.py and this script give the same argv;
# airflow/test_logq_command.py compares them.
cmd=("$submit" --master "$master"
  --conf "spark.driver.extraJavaOptions=$LOGQ_JAVA_OPENS"
  --conf "spark.executor.extraJavaOptions=$LOGQ_JAVA_OPENS"
  "${cluster_confs[@]}"
  "${spark_confs[@]}"
  --files "$conf_file"
  --name logq-spark
  --class dev.logq.job.Main
  --deploy-mode "$deploy_mode"
  "$LOGQ_ASSEMBLY"
  --conf "$conf_ref" "${job_args[@]}")

if [[ -n "${LOGQ_PRINT_ONLY:-}" ]]; then
  printf '%q ' "${cmd[@]}"; echo
  exit 0
fi
exec "${cmd[@]}"
