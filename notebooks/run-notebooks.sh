#!/usr/bin/env bash
# notebooks/run-notebooks.sh [NOTEBOOK.ipynb...]: executes the notebooks (default: every notebooks/*.ipynb)
# headless with the project's Java kernel, writes the executed copies to notebooks/target/executed/ and
# exits 1 if a cell of any of them failed.
#
# Needs the state `bin/adapterforge pipeline --conf conf/local.conf` leaves under $ADAPTERFORGE_ROOT
# (default .adapterforge): prepared corpora and a registry with a published adapter. Installs what it
# lacks: Debian's Jupyter (apt-get, as root), the kernel (Maven) and its kernel spec (under
# notebooks/target/jupyter, found through JUPYTER_PATH: nothing is written to the user's Jupyter folders).
#
# Environment:
#   ADAPTERFORGE_JAVA_OPTS  the kernel JVM's options (default: 4 GB heap, ND4J off-heap capped for mBERT)
#   NOTEBOOK_CELL_TIMEOUT   seconds a cell may run (default 1200)
set -euo pipefail

project_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
notebooks_dir="$project_dir/notebooks"
kernel_dir="$notebooks_dir/kernel"
out_dir="$notebooks_dir/target"
spark_jars="$project_dir/pipeline-jobs/target/spark-home/jars"
# Debian's Jupyter, not whatever python3 comes first on PATH (a pyenv Python has no nbconvert).
jupyter=/usr/bin/jupyter

log() { echo "run-notebooks: $*" >&2; }
fail() { log "$*"; exit 2; }

# --- Jupyter: nbconvert executes notebooks through nbclient and jupyter_client
if ! { [[ -x /usr/bin/jupyter-nbconvert ]] && /usr/bin/python3 -c 'import nbclient, jupyter_client' 2> /dev/null; }; then
  [[ "$(id -u)" == 0 ]] || fail "Jupyter is missing; as root: apt-get install -y jupyter-nbconvert python3-nbclient jupyter-client"
  log "installing Jupyter (apt-get)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    jupyter-nbconvert python3-nbclient jupyter-client > /dev/null
fi

# --- the application jar and Spark's runtime jars, which the kernel's classpath carries
app_jar="$(find "$project_dir/pipeline-jobs/target" -maxdepth 1 -name 'adapterforge-*.jar' ! -name 'original-*' 2> /dev/null | sed -n 1p)"
[[ -n "$app_jar" && -d "$spark_jars" ]] ||
  fail "no application jar or $spark_jars; run 'bin/adapterforge pipeline --conf conf/local.conf' first"

# --- the kernel, rebuilt when its sources or pom are newer than its jar
kernel_jar="$kernel_dir/target/adapterforge-notebook-kernel-0.1.0-SNAPSHOT.jar"
if [[ ! -f "$kernel_jar" || -n "$(find "$kernel_dir/src" "$kernel_dir/pom.xml" "$project_dir/pom.xml" -newer "$kernel_jar" -print -quit)" ]]; then
  log "building the notebook kernel (mvn package)..."
  mvn -q -B -f "$kernel_dir/pom.xml" package >&2
fi

# --- the kernel spec: one JVM per notebook, launched as bin/adapterforge launches the application
spec_dir="$out_dir/jupyter/kernels/adapterforge-java"
mkdir -p "$spec_dir"
KERNEL_JAVA_OPTS="${ADAPTERFORGE_JAVA_OPTS:--Xmx4g -Dorg.bytedeco.javacpp.maxbytes=6g -Dorg.bytedeco.javacpp.maxphysicalbytes=10g}" \
KERNEL_CLASSPATH="$kernel_jar:$kernel_dir/target/dependency/*:$app_jar:$spark_jars/*" \
PROJECT_DIR="$project_dir" APP_JAR="$app_jar" SPEC="$spec_dir/kernel.json" \
  /usr/bin/python3 - << 'EOF'
import json, os, shlex
project = os.environ["PROJECT_DIR"]
argv = (["java", "@" + project + "/bin/java17.args",
         "-Dlog4j2.configurationFile=" + project + "/conf/log4j2.properties",
         "-Dadapterforge.app.jar=" + os.environ["APP_JAR"],
         "-Dadapterforge.models.dir=" + os.environ.get("ADAPTERFORGE_MODELS", project + "/models")]
        + shlex.split(os.environ["KERNEL_JAVA_OPTS"])
        # The kernel's jars first: Spark's jars carry an older Gson than the Jupyter protocol library needs.
        + ["-cp", os.environ["KERNEL_CLASSPATH"], "dev.adapterforge.notebooks.NotebookKernel", "{connection_file}"])
# MKL threads with libnd4j's OpenMP runtime, as bin/adapterforge has it
env = {"ADAPTERFORGE_HOME": project, "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
       "MKL_THREADING_LAYER": os.environ.get("MKL_THREADING_LAYER", "GNU")}
if "ADAPTERFORGE_ROOT" in os.environ:
    env["ADAPTERFORGE_ROOT"] = os.environ["ADAPTERFORGE_ROOT"]
with open(os.environ["SPEC"], "w") as f:
    json.dump({"argv": argv, "display_name": "Java (AdapterForge)", "language": "java",
               "interrupt_mode": "message", "env": env}, f, indent=2)
EOF
export JUPYTER_PATH="$out_dir/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"

# --- execute each notebook; a failing one does not stop the others, so one run reports them all
if (($#)); then notebooks=("$@"); else notebooks=("$notebooks_dir"/*.ipynb); fi
failed=()
for notebook in "${notebooks[@]}"; do
  [[ -f "$notebook" ]] || fail "no notebook $notebook"
  log "executing $(basename "$notebook")..."
  start=$SECONDS
  if "$jupyter" nbconvert --to notebook --execute \
    --ExecutePreprocessor.kernel_name=adapterforge-java \
    --ExecutePreprocessor.timeout="${NOTEBOOK_CELL_TIMEOUT:-1200}" \
    --ExecutePreprocessor.startup_timeout=300 \
    --output-dir "$out_dir/executed" "$notebook"; then
    log "$(basename "$notebook"): ok in $((SECONDS - start)) s"
  else
    log "$(basename "$notebook"): FAILED after $((SECONDS - start)) s (the failing cell and its error are above)"
    failed+=("$(basename "$notebook")")
  fi
done
((${#failed[@]} == 0)) || { log "failed: ${failed[*]}"; exit 1; }
log "all ${#notebooks[@]} notebooks ran; executed copies in $out_dir/executed/"
