#!/usr/bin/env bash
# Everything that needs a GPU, each step writing JSON under benchmarks/results/ with device,
# driver and library versions:
#   tests      the ELA tests with Triton compiled for CUDA (fp32/fp64/fp16/bf16)  -> gpu_tests.json
#   attention  the attention benchmark (Triton vs torch vs SDPA/FlashAttention; eager and
#              CUDA-graph replay; detector sizes channel-first)                     -> attention_cuda.json
#              and the fused/split forward cutover                                  -> attention_cutover_cuda.json
#   train      training throughput, AMP, imgsz 640                                   -> train_throughput_cuda.json
#   detectors  the detector benchmark (torch fp32/fp16, CUDA graphs, ORT, TensorRT)  -> detectors_cuda.json
#              (tools/benchmark.py: what `yolo-lat benchmark` measures, written into benchmarks/)
#   pipeline   the device inference pipeline: yolo-lat-n forward vs end to end (b1/640, b16/1280)
#              and predict images/s vs Ultralytics' YOLO11n predict (tools/bench_pipeline.py) -> pipeline_cuda.json
#              (its tests with CUDA tensors first: tests/engine/test_gpu_pipeline.py)
#   campaign   issue 15's accuracy campaign (tools/train_campaign.py $CAMPAIGN_ARGS, default the block
#              variants on shapes, 3 seeds)                                   -> benchmarks/results/<data>_cuda_runs/
#              (CAMPAIGN_ARGS="tiny --seeds 0 1 2": yolo-lat-t and the first tiny layout against YOLO26n)
#   host       issue 15's parity with the host on the GPU, where the gap was seen: YOLO11n by yolo-lat
#              train vs plain yolo train, 3 seeds, from YOLO files and from COCO JSON
#                                                   -> benchmarks/results/host_shapes[_coco]_cuda_runs/
#              (campaign and host are not part of the default run: name them, e.g. bash tools/gpu_session.sh host campaign)
#   bash tools/gpu_session.sh                 # all five, in that order
#   bash tools/gpu_session.sh tests attention # a subset (the device tool allows 10 min per command)
# On the device machine first fill .whl/ here with:  ../shared/tools/device-wheels.sh onnxslim
# and pass carry=[".whl"]; this script installs them into .site. Each step copies what it wrote
# to $OUT (when set) as soon as it ends, so a command cut off by its time limit keeps the
# steps that finished. STEP_TIMEOUT=<seconds> stops a step that runs longer (the detector
# benchmark writes its JSON as rows land, so a stopped run keeps what it measured).
# ATTENTION_ARGS, DETECTOR_ARGS and PIPELINE_ARGS add arguments to those steps, e.g.
#   ATTENTION_ARGS="--budget 0.3 --min-runs 10" DETECTOR_ARGS="models=yolo-lat-n,yolo12n time_limit=300"
set -u
for step in "$@"; do
  case $step in tests|attention|train|detectors|pipeline|campaign|host) ;; *)
    echo "unknown step '$step' (expected: tests attention train detectors pipeline campaign host)" >&2; exit 2 ;;
  esac
done
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target .site .whl/*.whl \
    && cp -r .whl/shim/. .site/ && export PYTHONPATH=$PWD/.site:$PWD YOLO_OFFLINE=1 || exit 1
fi
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(tests attention train detectors pipeline)

keep() {  # copy a step's outputs to $OUT, keeping their paths under benchmarks/
  [ -n "${OUT:-}" ] || return 0
  for f in "$@"; do
    [ -e "$f" ] && mkdir -p "$OUT/$(dirname "$f")" && cp "$f" "$OUT/$f"
  done
  return 0
}

T="timeout ${STEP_TIMEOUT:-0}"  # 0: no limit
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
for step in "${steps[@]}"; do
  echo "=== $step ($(date +%T))"
  case $step in
    tests)
      $T python3 tools/gpu_checks.py 2>&1 | tail -5
      keep benchmarks/results/gpu_tests.json ;;
    attention)
      # the Triton programs built for this GPU and checked against the oracle first (fp32/bf16/...)
      $T python3 -m pytest -q -p no:cacheprovider tests/ela/test_triton_launches.py tests/ela/test_attention.py 2>&1 | tail -3
      # every shape, detector sizes in their channel-first layout first; eager and CUDA-graph replay
      $T python3 tools/bench_attention.py --device cuda ${ATTENTION_ARGS:-} 2>&1 | tail -40
      # the fused (one launch) / split forward cutover that launch.SEGMENT_ROWS encodes
      $T python3 tools/bench_attention.py --device cuda --cases detector --methods ela_triton_fused,ela_triton_split \
        --out benchmarks/results/attention_cutover_cuda.json --plot benchmarks/attention_cutover_cuda.png \
        ${ATTENTION_ARGS:-} 2>&1 | tail -15
      keep benchmarks/results/attention_cuda.json benchmarks/attention_cuda.png \
        benchmarks/results/attention_cutover_cuda.json benchmarks/attention_cutover_cuda.png ;;
    train)
      $T python3 tools/train_throughput.py --device cuda --imgsz 640 --batch 32 2>&1 | tail -8
      keep benchmarks/results/train_throughput_cuda.json ;;
    detectors)
      $T python3 tools/benchmark.py device=cuda ${DETECTOR_ARGS:-} 2>&1 | grep -v "^ " | tail -20
      keep benchmarks/results/detectors_cuda.json benchmarks/detectors_cuda.md benchmarks/*cuda*.png ;;
    campaign)
      # issue 15: the block variants at equal budget on shapes (records resume: run it again to go on);
      # CAMPAIGN_ARGS e.g. "variants --data shapes-dense --seeds 0 1 2" or "host --seeds 0 1 2"
      $T python3 tools/train_campaign.py ${CAMPAIGN_ARGS:-variants --seeds 0 1 2} 2>&1 | grep -E "AP|fail" | tail -40
      [ -n "${OUT:-}" ] && mkdir -p "$OUT/benchmarks/results" && cp -r benchmarks/results/*_runs "$OUT/benchmarks/results/" ;;
    host)
      $T python3 tools/train_campaign.py host --seeds 0 1 2 2>&1 | grep -E "AP|fail" | tail -10
      $T python3 tools/train_campaign.py host --coco-json --seeds 0 1 2 2>&1 | grep -E "AP|fail" | tail -10
      [ -n "${OUT:-}" ] && mkdir -p "$OUT/benchmarks/results" && cp -r benchmarks/results/host_*_runs "$OUT/benchmarks/results/" ;;
    pipeline)
      $T python3 -m pytest -q -p no:cacheprovider tests/engine/test_gpu_pipeline.py 2>&1 | tail -3
      $T python3 tools/bench_pipeline.py --device cuda ${PIPELINE_ARGS:-} 2>&1 | grep -v "WARNING" | tail -8
      keep benchmarks/results/pipeline_cuda.json ;;
  esac
done
echo done
