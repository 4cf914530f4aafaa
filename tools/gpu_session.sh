#!/usr/bin/env bash
# Everything that needs a GPU, in one run (device tool), each step writing JSON under
# benchmarks/results/ with device, driver and library versions:
#   1. the ELA tests with Triton compiled for CUDA (fp32/fp64/fp16/bf16)  -> gpu_tests.json
#   2. the attention benchmark (Triton vs torch vs SDPA/FlashAttention)    -> attention_cuda.json
#   3. training throughput, AMP, imgsz 640                                   -> train_throughput_cuda.json
#   4. the detector benchmark (torch fp32/fp16, CUDA graphs, ORT, TensorRT)  -> detectors_cuda.json
# On the device machine first fill .whl/ here with:  ../shared/tools/device-wheels.sh onnxslim
# and pass carry=[".whl"]; this script installs them into .site.
set -u
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target .site .whl/*.whl \
    && cp -r .whl/shim/. .site/ && export PYTHONPATH=$PWD/.site:$PWD YOLO_OFFLINE=1 || exit 1
fi
out=${OUT:-benchmarks/results}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
python3 tools/gpu_checks.py 2>&1 | tail -5
python3 tools/bench_attention.py --device cuda 2>&1 | tail -30
python3 tools/train_throughput.py --device cuda --imgsz 640 --batch 32 2>&1 | tail -8
python3 -m yolo_lat.cli benchmark device=cuda 2>&1 | grep -v "^ " | tail -20
mkdir -p "$out" && cp benchmarks/results/*cuda*.json benchmarks/results/gpu_tests.json benchmarks/*cuda* "$out"/ 2>/dev/null
echo done
