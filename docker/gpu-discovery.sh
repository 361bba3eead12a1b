#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript, and spark.worker.* on a
# standalone worker): prints the GPUs this host or container can use as Spark's ResourceInformation
# JSON, e.g. {"name": "gpu", "addresses": ["0", "1"]}. The addresses are CUDA ordinals as nvidia-smi
# lists them; inside a container started with a GPU subset they are that subset's ordinals, which is
# what ND4J's device numbering sees too, so a task binds ND4J to exactly the address Spark gave it.
set -euo pipefail

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu-discovery.sh: nvidia-smi not found; no NVIDIA driver in this host or container" >&2
  exit 1
fi

addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/[[:space:]]//g' -e 's/.*/"&"/' | paste -sd, -)
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
