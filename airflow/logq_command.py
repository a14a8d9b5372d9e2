"""The spark-submit command of a logq-spark run, built exactly as spark-submit/submit.sh builds it.

Pure Python, no Airflow import: the example DAG (logq_dag.py) builds its SparkSubmitOperator from
operator_kwargs(), and test_logq_command.py checks that the argv Airflow's SparkSubmitHook makes of
those arguments (spark_submit_argv) is the one `LOGQ_PRINT_ONLY=1 spark-submit/submit.sh` prints for
the same run, so the DAG and the script cannot drift apart.
"""

import os

MAIN_CLASS = "dev.logq.job.Main"
APP_NAME = "logq-spark"

# conf/java17.args, one option per entry (the test checks they are equal): Spark on Java 17 needs them
# on the driver and on every executor.
JAVA17_OPTIONS = [
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
    "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
    "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
    "-Djdk.reflect.useDirectMethodHandle=false",
    "--add-modules=jdk.incubator.vector",
]


def spark_conf(extra=None):
    """The --conf properties: the Java 17 options on driver and executors, then `extra` (in order)."""
    options = " ".join(JAVA17_OPTIONS)
    conf = {
        "spark.driver.extraJavaOptions": options,
        "spark.executor.extraJavaOptions": options,
    }
    for key, value in (extra or {}).items():
        conf[key] = value
    return conf


def job_args(conf_file, deploy_mode, settings):
    """The job's own arguments: --conf FILE, then one key=value per entry of `settings` (in order).

    In cluster deploy mode the driver runs on the cluster, where the file shipped with --files is in
    the working directory under its base name.
    """
    conf_ref = os.path.basename(conf_file) if deploy_mode == "cluster" else conf_file
    args = ["--conf", conf_ref]
    for key, value in settings:
        if key.startswith("--"):
            args.append(key)  # a flag such as --overwrite or --resume (value ignored)
        else:
            args.append(f"{key}={value}")
    return args


def scheduled_run_settings(input_root, output_root, ds="{{ ds }}", run_id="{{ run_id }}"):
    """The run-scoped settings of a scheduled run, for job_args().

    input.path   one day's partition, <input_root>/dt=<ds>/
    output.path  <output_root>/{ds}: the job puts run.ds in place of {ds}
    run.ds, run.id  recorded in metrics.json; run.id also names the staging directory, so a retry of the
                 same DAG run removes what a killed attempt left there
    output.skipIfComplete=true  a retry after an attempt that committed its output (but was reported
                 failed) exits 0 without work; a failed attempt leaves no output, so its retry runs.
    """
    return [
        ("input.path", f"{input_root.rstrip('/')}/dt={ds}/"),
        ("output.path", f"{output_root.rstrip('/')}/{{ds}}"),
        ("run.ds", ds),
        ("run.id", run_id),
        ("output.skipIfComplete", "true"),
    ]


def operator_kwargs(application, conf_file, deploy_mode, arguments, extra_spark_conf=None,
                    conn_id="spark_default"):
    """Keyword arguments of airflow.providers.apache.spark.operators.spark_submit.SparkSubmitOperator."""
    return {
        "application": application,
        "conn_id": conn_id,
        "conf": spark_conf(extra_spark_conf),
        "files": conf_file,
        "name": APP_NAME,
        "java_class": MAIN_CLASS,
        "deploy_mode": deploy_mode,
        "application_args": list(arguments),
    }


def spark_submit_argv(master, kwargs, spark_binary="spark-submit"):
    """The argv SparkSubmitHook runs for operator_kwargs() on a connection whose host is `master`.

    Mirrors SparkSubmitHook._build_spark_submit_command for the arguments operator_kwargs() sets:
    binary, --master, --conf k=v for each property, --files, --name, --class, --deploy-mode, the
    application, then the application arguments.
    """
    argv = [spark_binary, "--master", master]
    for key, value in kwargs["conf"].items():
        argv += ["--conf", f"{key}={value}"]
    argv += ["--files", kwargs["files"], "--name", kwargs["name"], "--class", kwargs["java_class"],
             "--deploy-mode", kwargs["deploy_mode"], kwargs["application"]]
    argv += kwargs["application_args"]
    return argv
