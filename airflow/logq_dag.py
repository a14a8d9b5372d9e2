"""Example Airflow DAG: train the two-tower model every day on that day's interactions.

Copy this file and logq_command.py into the DAG folder, put the assembly jar and the config file
where the Airflow worker (client deploy mode) or the cluster (jar on HDFS) can read them, and create
a Spark connection `spark_default` whose host is the master (yarn, spark://..., k8s://...).

Why retries are safe:
  * The job writes its output atomically: a staging directory beside output.path, renamed into place,
    then _SUCCESS written last. An attempt that fails (exit 1, 2 or 3) leaves no output; a killed
    driver leaves only the hidden staging directory, which the retry (same run.id = the DAG run's
    run_id) deletes before it starts.
  * An attempt can commit its output and still be marked failed (the worker lost, spark-submit killed
    after the commit, ...). Its retry would stop with exit 4 (the output exists), so the DAG sets
    output.skipIfComplete=true: a retry that finds a complete output written with the same
    configuration exits 0 without work. A complete output of another configuration still fails (exit
    4): replacing it is a decision for a person (clear the task with overwrite, see below).
  * Retries start training afresh; --resume is not passed, because a rerun of the same day may come
    after the day's partition was re-delivered, and resuming checkpoints of the old data would mix the
    two. Add ("--resume", None) to the settings when the input is immutable and trainings are long.
To recompute a day on purpose, trigger it with the extra setting ("output.overwrite", "true").

Exit codes (visible in client deploy mode; in YARN cluster mode spark-submit reports 1 for any
failure and the driver's code is in the application diagnostics): 0 success or nothing to do,
1 runtime failure, 2 bad configuration, 3 bad input data, 4 output exists. Retrying does not cure
2 to 4, but costs little: configuration and output are checked before Spark does any work, the
input is validated before training.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.hdfs.sensors.web_hdfs import WebHdfsSensor
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

from logq_command import job_args, operator_kwargs, scheduled_run_settings

HDFS = "hdfs://namenode:8020"
INPUT_ROOT = "/data/interactions"          # one directory per day: dt=YYYY-MM-DD/
OUTPUT_ROOT = "/models/logq"               # one output per day: YYYY-MM-DD/
APPLICATION = f"{HDFS}/apps/logq/logq-job-assembly.jar"
CONF_FILE = "/opt/logq/conf/logq.conf"     # on the Airflow worker; shipped to the driver with --files
DEPLOY_MODE = "cluster"

with DAG(
    dag_id="logq_two_tower_daily",
    schedule="@daily",
    start_date=datetime(2024, 5, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["logq", "recsys"],
) as dag:
    settings = scheduled_run_settings(f"{HDFS}{INPUT_ROOT}", f"{HDFS}{OUTPUT_ROOT}")
    train = SparkSubmitOperator(
        task_id="train_two_tower",
        execution_timeout=timedelta(hours=6),
        **operator_kwargs(
            application=APPLICATION,
            conf_file=CONF_FILE,
            deploy_mode=DEPLOY_MODE,
            arguments=job_args(CONF_FILE, DEPLOY_MODE, settings),
            # Retries are Airflow's: one YARN attempt per task try.
            extra_spark_conf={"spark.executor.memory": "8g", "spark.executor.cores": "4",
                              "spark.yarn.maxAppAttempts": "1"},
        ),
    )

    # Downstream consumers wait for the marker the job writes last. A consumer in another DAG can use
    # the same sensor; with a local or NFS output use airflow.sensors.filesystem.FileSensor on
    # the same path instead.
    embeddings_ready = WebHdfsSensor(
        task_id="embeddings_ready",
        webhdfs_conn_id="webhdfs_default",
        filepath=f"{OUTPUT_ROOT}/{{{{ ds }}}}/_SUCCESS",
        poke_interval=60,
        timeout=int(timedelta(hours=1).total_seconds()),
        mode="reschedule",
    )

    train >> embeddings_ready
