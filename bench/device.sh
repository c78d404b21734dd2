#!/usr/bin/env bash
# The GPU run of issue 7, in one call on a fresh machine with an NVIDIA GPU, CMake, nvcc and PyTorch
# (no Node.js needed): builds the engine's CUDA check program (with cuBLAS when the toolkit or the
# nvidia-cublas Python wheel has it), runs the GPU checks, times each GEMM tile shape and attention
# split (the sweep), runs the built-in model end to end on the CPU and the GPU, benchmarks our
# engine and PyTorch on the same shapes in the same run, and writes bench/results/device.json and
# device-sweep.json (and copies and logs under $OUT when set). About 75 seconds on an H100.
#
#   bash bench/device.sh                   # seconds per timed case: 3 (BENCH_SECONDS to change)
#   SWEEP=0 bash bench/device.sh           # skip the kernel sweep
#   NCU=1 bash bench/device.sh             # also Nsight Compute on the attention and GEMM kernels
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-3}
build=${BUILD_DIR:-/tmp/anneal-device-build}
out=${OUT:-$(mktemp -d)}
work=$(mktemp -d)
check_program="$build/anneal-cuda-check"

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
nvcc --version | tail -1
python3 -c 'import torch; print("torch", torch.__version__)' || true
command -v node >/dev/null && echo "node $(node --version)" || echo "no node"

# cuBLAS: the toolkit's, else the one PyTorch's wheels bring (nvidia-cublas).
cublas_flags=()
if ! ls /usr/local/cuda*/lib64/libcublas.so* >/dev/null 2>&1; then
  library=$(find /usr/local /opt /usr/lib -name 'libcublas.so*' -not -path '*stubs*' 2>/dev/null | sort | head -1)
  header=$(find /usr/local /opt /usr/include -name cublas_v2.h 2>/dev/null | head -1)
  if [[ -n "$library" && -n "$header" ]]; then
    echo "cuBLAS from $library"
    cublas_flags=(-DANNEAL_CUBLAS_LIBRARY="$library" -DANNEAL_CUBLAS_INCLUDE_DIR="$(dirname "$header")")
    export LD_LIBRARY_PATH="$(dirname "$library")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
fi

echo "== build (sm_90 for Hopper; ANNEAL_CUDA_ARCHITECTURES to change)"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S packages/backend/native -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DANNEAL_CUDA_ARCHITECTURES="${ANNEAL_CUDA_ARCHITECTURES:-90}" "${cublas_flags[@]}" >"$work/cmake.log" 2>&1 ||
  { tail -30 "$work/cmake.log"; exit 1; }
grep "anneal:" "$work/cmake.log"
cmake --build "$build" --target anneal-cuda-check --parallel "$(nproc)" >"$work/build.log" 2>&1 ||
  { grep -E "error" "$work/build.log" | head -30; tail -20 "$work/build.log"; exit 1; }

echo "== GPU checks (each kernel against its CPU twin; whole models against the CPU engine)"
checks=0
timeout 90 "$check_program" --checks 2>&1 | tee "$out/checks.log" || checks=1
failed=$(grep -c '^FAIL' "$out/checks.log")
[[ $failed -gt 0 ]] && checks=1
if [[ $checks -ne 0 ]] && command -v compute-sanitizer >/dev/null; then
  echo "== checks failed: compute-sanitizer memcheck over the kernel checks (first errors)"
  timeout 60 compute-sanitizer --tool memcheck --print-limit 10 "$check_program" --checks >"$out/sanitizer.log" 2>&1
  grep -E "=========|FAIL" "$out/sanitizer.log" | head -40
fi

if [[ "${SWEEP:-1}" != 0 ]]; then
  echo "== kernel sweep (GEMM tiles, pipeline depths, split-K; attention key splits)"
  timeout 120 "$check_program" --sweep --sweep-json "$work/sweep.json" >"$out/sweep.log" 2>&1 || echo "sweep failed: $?"
  cat "$out/sweep.log"
fi

if [[ "${NCU:-0}" != 0 ]] && command -v ncu >/dev/null; then
  # Diagnostics: one launch each of the tensor-core attention kernel and of the persistent GEMM
  # (the q|k|v shape, 32 × 128 tiles in two stages: the 67th launch of that kernel in the sweep).
  echo "== Nsight Compute"
  sections=(--section SpeedOfLight --section WarpStateStats --section Occupancy --section MemoryWorkloadAnalysis)
  timeout 120 ncu --kernel-name regex:attention_wmma_kernel --launch-count 1 "${sections[@]}" \
    "$check_program" --sweep-attention >"$out/ncu-attention.txt" 2>&1 || echo "ncu (attention) failed: $?"
  timeout 150 ncu --kernel-name regex:gemm_stream_kernel --launch-skip 66 --launch-count 1 "${sections[@]}" \
    "$check_program" --sweep >"$out/ncu-gemm.txt" 2>&1 || echo "ncu (gemm) failed: $?"
  grep -hE "attention_wmma_kernel|gemm_stream_kernel|Duration|DRAM Throughput|Memory Throughput|Compute \(SM\)|Achieved Occupancy|Warp Cycles Per Issued|Stall" \
    "$out/ncu-attention.txt" "$out/ncu-gemm.txt" | head -60
fi

echo "== the built-in model end to end (its weights; CPU and GPU answers must be the same tokens)"
model_dir=packages/backend/models/anneal-code-11m
if python3 bench/default_model_manifest.py "$model_dir" "$work/manifest.txt"; then
  timeout 120 "$check_program" --default-model "$work/manifest.txt" --answers "$work/answers.txt" \
    >"$out/default-model.log" 2>&1 || checks=1
  python3 bench/default_model_manifest.py "$model_dir" --decode "$work/answers.txt" >>"$out/default-model.log" 2>&1
  grep -v "^device:" "$out/default-model.log"
else
  echo "could not write the built-in model's manifest"; checks=1
fi

echo "== our engine"
timeout 150 "$check_program" --bench "$seconds" --json "$work/engine.json" >"$out/engine.log" 2>&1 ||
  { tail -20 "$out/engine.log"; exit 1; }
grep -v '^[{}\[ ]' "$out/engine.log" | grep -v '^  ' || true
echo "== PyTorch, same shapes"
timeout 90 python3 bench/torch_8b.py "$seconds" >"$work/torch.json" || { echo "PyTorch run failed"; echo '{"cases": []}' >"$work/torch.json"; }

python3 - "$work/engine.json" "$work/torch.json" "$checks" "$work/sweep.json" "$out" "$out/default-model.log" <<'PY'
import datetime, json, os, re, shutil, sys
engine, torch_run, checks = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
sweep_path, out, default_log = sys.argv[4], sys.argv[5], sys.argv[6]
# Tokens per forward of the built-in model's samplers, measured on the CPU by bench/default-model.ts.
default = json.load(open("bench/results/default-model.json"))
tpf = next(s["tokensPerForward"] for s in default["infill"] if s["setting"] == "threshold 0.9")
def find(cases, engine_name, rows):
    return next((c for c in cases if c["engine"] == engine_name and c["rows"] == rows and c["model"] == "llada-8b-shape"), None)
summary = []
for name in sorted({c["engine"] for c in engine["cases"] if c["engine"].startswith("cuda")}):
    for rows in (32, 1024):
        ours, theirs = find(engine["cases"], name, rows), find(torch_run["cases"], "pytorch-sdpa", rows)
        graphed = find(torch_run["cases"], "pytorch-sdpa-cuda-graph", rows)
        if not ours:
            continue
        line = {"engine": name, "rows": rows, "cached_prefix": ours["cached_prefix"],
                "forwards_per_s": ours["forwards_per_s"],
                "pytorch_forwards_per_s": theirs["forwards_per_s"] if theirs else None,
                "speedup_vs_pytorch": ours["forwards_per_s"] / theirs["forwards_per_s"] if theirs else None,
                "pytorch_cuda_graph_forwards_per_s": graphed["forwards_per_s"] if graphed else None,
                "speedup_vs_pytorch_cuda_graph": ours["forwards_per_s"] / graphed["forwards_per_s"] if graphed and graphed["forwards_per_s"] else None,
                "fraction_of_bandwidth_roofline": ours["forwards_per_s"] / ours["bandwidth_roofline_forwards_per_s"] if ours["bandwidth_roofline_forwards_per_s"] else None,
                "fraction_of_flop_roofline": ours["forwards_per_s"] / ours["flop_roofline_forwards_per_s"] if ours["flop_roofline_forwards_per_s"] else None,
                "tokens_per_s_at_default_model_tpf": ours["forwards_per_s"] * tpf if rows == 32 else None,
                "tokens_per_s_at_3_tpf": ours["forwards_per_s"] * 3 if rows == 32 else None}
        summary.append(line)
        print(json.dumps(line))
# The built-in model end to end (default_model.cpp's lines): the teacher-forced step check, then
# "default model, <policy>, <engine>: a/b tokens as the CPU's; x tokens/s …" per whole answer.
default_runs = []
if os.path.exists(default_log):
    for line in open(default_log):
        step = re.match(r"(PASS|FAIL)  default model, every step of the CPU's answer, (\S+): argmax agrees on (\d+) of (\d+) confident rows; confidence within ([\d.]+)", line)
        found = re.match(r"default model, (.+?), (\S+): (\d+)/(\d+) tokens as the CPU's; ([\d.]+) tokens/s", line)
        cpu = re.match(r"default model, (.+?): cpu ([\d.]+) tokens/s", line)
        if step:
            default_runs.append({"check": "every step of the CPU's answer", "passed": step[1] == "PASS", "engine": step[2],
                                 "argmax_agrees": int(step[3]), "confident_rows": int(step[4]),
                                 "worst_confidence_gap": float(step[5])})
        elif found:
            default_runs.append({"policy": found[1], "engine": found[2], "same_tokens_as_cpu": int(found[3]),
                                 "tokens": int(found[4]), "tokens_per_s": float(found[5])})
        elif cpu:
            default_runs.append({"policy": cpu[1], "engine": "cpu", "tokens_per_s": float(cpu[2])})
result = {"measured": datetime.datetime.now(datetime.timezone.utc).isoformat(), "checks_failed": checks,
          "tokens_per_forward_default_model": tpf, "summary": summary, "default_model_end_to_end": default_runs,
          "engine": engine, "pytorch": torch_run}
os.makedirs("bench/results", exist_ok=True)
with open("bench/results/device.json", "w") as f:
    json.dump(result, f, indent=2)
shutil.copy("bench/results/device.json", os.path.join(out, "device.json"))
if os.path.exists(sweep_path):
    shutil.copy(sweep_path, "bench/results/device-sweep.json")
    shutil.copy(sweep_path, os.path.join(out, "device-sweep.json"))
print("wrote bench/results/device.json")
PY
exit "$checks"
