"""AdapterForge's pipeline on a schedule: prep -> train -> evaluate -> publish, one Spark application per stage.

Drop this file into Airflow's dags/ folder (Airflow 2.4+, apache-airflow-providers-apache-spark). Each task
runs `spark-submit --class dev.adapterforge.cli.AdapterForge <jar> pipeline --conf <conf> --stages <stage>`;
the stages share their state through the pipeline's work folder (set in the conf), and the pipeline skips
work that is already done, so a retried or re-run task repeats only what did not finish.

Where spark-submit runs and what it submits to is the Airflow connection `spark_default` (Admin ->
Connections: master `k8s://https://<api-server>`, `spark://host:7077` or `yarn`, and deploy mode). The
defaults below are the layout of the docker/ images: run the Airflow worker from one of them, or point the
params at the jar and conf on your worker. On Kubernetes in cluster mode, pass the jar as
`local:///opt/adapterforge/adapterforge.jar` (a file inside the image) and set
spark.kubernetes.container.image in the conf's `spark` section.

GPUs for training only: the train task adds the `gpu_conf` param's file (conf/gpu-training.conf: a GPU per
executor and task, one training task per executor); the other tasks submit with the pipeline conf alone,
on plain executors.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.models.param import Param
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

MAIN_CLASS = "dev.adapterforge.cli.AdapterForge"
APPLICATION_JAR = "/opt/adapterforge/adapterforge.jar"
PIPELINE_CONF = "/opt/adapterforge/conf/gpu-cluster.conf"
GPU_TRAINING_CONF = "/opt/adapterforge/conf/gpu-training.conf"

# Every task submits the same jar and main class; the jar is templated so a manual run can try another build.
SUBMIT = {
    "conn_id": "spark_default",
    "application": "{{ params.jar }}",
    "java_class": MAIN_CLASS,
}

# spark-submit's --conf wins over the conf file's `spark` section (README, "The command line").
with DAG(
    dag_id="adapterforge",
    description="GlotCC/ConceptNet prep, adapter training, evaluation and registry publishing",
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1),
    # a missed night is not worth replaying: the next run covers everything that changed since
    catchup=False,
    # two runs at once would share one work folder and registry
    max_active_runs=1,
    default_args={
        "owner": "adapterforge",
        "retries": 2,
        "retry_delay": timedelta(minutes=10),
        # a lost executor node or a spot reclaim usually clears within the longer second wait
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(hours=1),
    },
    params={
        "jar": Param(APPLICATION_JAR, type="string", description="The shaded application jar."),
        "conf": Param(PIPELINE_CONF, type="string", description="The pipeline's HOCON conf file."),
        "gpu_conf": Param(GPU_TRAINING_CONF, type="string", description="GPU scheduling, added for training."),
    },
    tags=["adapterforge", "spark"],
) as dag:
    prep = SparkSubmitOperator(
        task_id="prep",
        name="adapterforge-prep",
        application_args=["pipeline", "--conf", "{{ params.conf }}", "--stages", "prep"],
        **SUBMIT,
    )
    train = SparkSubmitOperator(
        task_id="train",
        name="adapterforge-train",
        application_args=[
            "pipeline", "--conf", "{{ params.conf }}", "--conf", "{{ params.gpu_conf }}", "--stages", "train"
        ],
        **SUBMIT,
    )
    evaluate = SparkSubmitOperator(
        task_id="evaluate",
        name="adapterforge-evaluate",
        application_args=["pipeline", "--conf", "{{ params.conf }}", "--stages", "evaluate"],
        **SUBMIT,
    )
    publish = SparkSubmitOperator(
        task_id="publish",
        name="adapterforge-publish",
        application_args=["pipeline", "--conf", "{{ params.conf }}", "--stages", "publish"],
        **SUBMIT,
    )

    prep >> train >> evaluate >> publish
