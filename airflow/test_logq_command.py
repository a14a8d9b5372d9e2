#!/usr/bin/env python3
"""Checks the exact command the example DAG runs, without Airflow (not installable here).

    python3 airflow/test_logq_command.py        (from any directory; exit status 0 when all pass)

* the argv Airflow's SparkSubmitHook builds from the DAG's operator arguments, literally;
* that argv equals what `LOGQ_PRINT_ONLY=1 spark-submit/submit.sh` prints for the same run, in
  client and cluster deploy mode, so the DAG and the script cannot drift apart;
* the Java options equal conf/java17.args;
* logq_dag.py, imported against stub Airflow modules, passes exactly these arguments, with retries,
  and its templates render (jinja2, as Airflow does) to the run-scoped paths and the _SUCCESS sensor.
"""

import os
import shlex
import subprocess
import sys
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import logq_command as lc  # noqa: E402

DS = "2024-05-01"
RUN_ID = "scheduled__2024-05-01T00:00:00+00:00"
OPENS = " ".join(lc.JAVA17_OPTIONS)


class CommandTest(unittest.TestCase):

    def test_exact_argv_of_a_scheduled_run(self):
        settings = lc.scheduled_run_settings("hdfs://nn:8020/data/interactions/", "hdfs://nn:8020/models/logq",
                                             ds=DS, run_id=RUN_ID)
        kwargs = lc.operator_kwargs(
            application="hdfs://nn:8020/apps/logq/logq-job-assembly.jar",
            conf_file="/opt/logq/conf/logq.conf",
            deploy_mode="cluster",
            arguments=lc.job_args("/opt/logq/conf/logq.conf", "cluster", settings),
            extra_spark_conf={"spark.executor.memory": "8g"})
        self.assertEqual(lc.spark_submit_argv("yarn", kwargs), [
            "spark-submit", "--master", "yarn",
            "--conf", "spark.driver.extraJavaOptions=" + OPENS,
            "--conf", "spark.executor.extraJavaOptions=" + OPENS,
            "--conf", "spark.executor.memory=8g",
            "--files", "/opt/logq/conf/logq.conf",
            "--name", "logq-spark",
            "--class", "dev.logq.job.Main",
            "--deploy-mode", "cluster",
            "hdfs://nn:8020/apps/logq/logq-job-assembly.jar",
            "--conf", "logq.conf",
            "input.path=hdfs://nn:8020/data/interactions/dt=2024-05-01/",
            "output.path=hdfs://nn:8020/models/logq/{ds}",
            "run.ds=2024-05-01",
            "run.id=scheduled__2024-05-01T00:00:00+00:00",
            "output.skipIfComplete=true",
        ])

    def test_java_options_are_conf_java17_args(self):
        with open(os.path.join(ROOT, "conf", "java17.args"), encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
        self.assertEqual(lines, lc.JAVA17_OPTIONS)

    def test_same_argv_as_submit_script(self):
        conf_file = os.path.join(ROOT, "conf", "logq.conf")
        jar = "hdfs://nn:8020/apps/logq/logq-job-assembly.jar"
        settings = lc.scheduled_run_settings("hdfs://nn:8020/data/interactions", "hdfs://nn:8020/models/logq",
                                             ds=DS, run_id=RUN_ID)
        env = {k: v for k, v in os.environ.items() if k != "SPARK_HOME"}
        env["LOGQ_PRINT_ONLY"] = "1"
        env["LOGQ_ASSEMBLY"] = jar
        cases = [("yarn", "cluster", settings),
                 ("spark://master:7077", "client", settings + [("--overwrite", None), ("train.epochs", "3")])]
        for master, deploy_mode, job_settings in cases:
            with self.subTest(master=master, deploy_mode=deploy_mode):
                job_arguments = lc.job_args(conf_file, deploy_mode, job_settings)
                script = ["bash", os.path.join(ROOT, "spark-submit", "submit.sh"), master,
                          "--deploy-mode", deploy_mode, "--spark-conf", "spark.executor.memory=8g"]
                # The script is given the local file; it ships it and refers to it as the DAG does.
                script += ["--conf", conf_file] + job_arguments[2:]
                printed = subprocess.run(script, env=env, capture_output=True, text=True, check=True).stdout
                expected = lc.spark_submit_argv(master, lc.operator_kwargs(
                    application=jar, conf_file=conf_file, deploy_mode=deploy_mode, arguments=job_arguments,
                    extra_spark_conf={"spark.executor.memory": "8g"}))
                self.assertEqual(shlex.split(printed), expected)

    def test_command_module_does_not_import_airflow(self):
        code = ("import sys; sys.path.insert(0, %r); import logq_command; "
                "sys.exit(any(m == 'airflow' or m.startswith('airflow.') for m in sys.modules))" % HERE)
        self.assertEqual(subprocess.run([sys.executable, "-c", code]).returncode, 0)


class DagTest(unittest.TestCase):
    """Imports logq_dag.py against stub modules that record what the DAG passes to Airflow."""

    def setUp(self):
        self.tasks = {}
        self.saved = {name: mod for name, mod in sys.modules.items() if name == "airflow" or name.startswith("airflow.")}
        tasks = self.tasks

        class Task:
            def __init__(self, **kwargs):
                self.kwargs = kwargs
                self.downstream = []
                tasks[kwargs["task_id"]] = self

            def __rshift__(self, other):
                self.downstream.append(other)
                return other

        class Dag:
            def __init__(self, **kwargs):
                self.kwargs = kwargs

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

        def module(name, **attrs):
            m = types.ModuleType(name)
            m.__dict__.update(attrs)
            sys.modules[name] = m

        module("airflow", DAG=Dag)
        for name in ["airflow.providers", "airflow.providers.apache", "airflow.providers.apache.spark",
                     "airflow.providers.apache.spark.operators", "airflow.providers.apache.hdfs",
                     "airflow.providers.apache.hdfs.sensors"]:
            module(name)
        module("airflow.providers.apache.spark.operators.spark_submit",
               SparkSubmitOperator=type("SparkSubmitOperator", (Task,), {}))
        module("airflow.providers.apache.hdfs.sensors.web_hdfs", WebHdfsSensor=type("WebHdfsSensor", (Task,), {}))
        sys.modules.pop("logq_dag", None)
        import logq_dag
        self.dag_module = logq_dag

    def tearDown(self):
        for name in [n for n in sys.modules if n == "airflow" or n.startswith("airflow.")]:
            del sys.modules[name]
        sys.modules.update(self.saved)
        sys.modules.pop("logq_dag", None)

    def test_operator_arguments_and_retries(self):
        d = self.dag_module
        train = self.tasks["train_two_tower"].kwargs
        expected = lc.operator_kwargs(
            application=d.APPLICATION, conf_file=d.CONF_FILE, deploy_mode=d.DEPLOY_MODE,
            arguments=lc.job_args(d.CONF_FILE, d.DEPLOY_MODE,
                                  lc.scheduled_run_settings(d.HDFS + d.INPUT_ROOT, d.HDFS + d.OUTPUT_ROOT)),
            extra_spark_conf={"spark.executor.memory": "8g", "spark.executor.cores": "4",
                              "spark.yarn.maxAppAttempts": "1"})
        self.assertEqual({k: v for k, v in train.items() if k in expected}, expected)
        self.assertGreaterEqual(self.dag_module.dag.kwargs["default_args"]["retries"], 1)
        self.assertEqual([t.kwargs["task_id"] for t in self.tasks["train_two_tower"].downstream], ["embeddings_ready"])

    def test_templates_render_to_run_scoped_paths(self):
        try:
            import jinja2
        except ImportError:
            self.skipTest("jinja2 is not installed")
        env = jinja2.Environment(undefined=jinja2.StrictUndefined)
        context = {"ds": DS, "run_id": RUN_ID}

        def render(value):
            return env.from_string(value).render(context)

        d = self.dag_module
        train = self.tasks["train_two_tower"].kwargs
        args = [render(a) for a in train["application_args"]]
        self.assertEqual(args, [
            "--conf", "logq.conf",
            "input.path=hdfs://namenode:8020/data/interactions/dt=2024-05-01/",
            "output.path=hdfs://namenode:8020/models/logq/{ds}",
            "run.ds=2024-05-01",
            "run.id=" + RUN_ID,
            "output.skipIfComplete=true",
        ])
        output_dir = args[3].split("=", 1)[1].replace("{ds}", DS)  # what the job makes of {ds}
        sensor = render(self.tasks["embeddings_ready"].kwargs["filepath"])
        self.assertEqual(d.HDFS + sensor, output_dir + "/_SUCCESS")
        self.assertEqual(render(train["application"]), d.APPLICATION)


if __name__ == "__main__":
    unittest.main(verbosity=2)
