#!/usr/bin/env bash
# The GPU run of issue 7, in one call on a fresh machine with an NVIDIA GPU, CMake, nvcc and PyTorch
# (no Node.js needed): builds the engine's CUDA check program (with cuBLAS when the toolkit has it),
# runs the GPU checks, benchmarks our engine and PyTorch on the same shapes in the same run, and
# writes bench/results/device.json (and a copy under $OUT when set). Takes about 3–5 minutes.
#
#   bash bench/device.sh            # seconds per timed case: 3 (BENCH_SECONDS to change)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-3}
build=${BUILD_DIR:-/tmp/anneal-device-build}
work=$(mktemp -d)

echo "== build (sm_90 for Hopper; ANNEAL_CUDA_ARCHITECTURES to change)"
cmake -S packages/backend/native -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DANNEAL_CUDA_ARCHITECTURES="${ANNEAL_CUDA_ARCHITECTURES:-90}" >"$work/cmake.log"
grep "anneal:" "$work/cmake.log"
cmake --build "$build" --target anneal-cuda-check --parallel "$(nproc)" >"$work/build.log" || { tail -50 "$work/build.log"; exit 1; }

echo "== GPU checks (each kernel against its CPU twin; whole models against the CPU engine)"
checks=0
"$build/anneal-cuda-check" --checks || checks=$?

echo "== our engine"
"$build/anneal-cuda-check" --bench "$seconds" --json "$work/engine.json" >/dev/null
echo "== PyTorch, same shapes"
python3 bench/torch_8b.py "$seconds" >"$work/torch.json"

python3 - "$work/engine.json" "$work/torch.json" "$checks" <<'PY'
import datetime, glob, json, os, sys
engine, torch_run, checks = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
# Tokens per forward of the built-in model's samplers, measured on the CPU by bench/default-model.ts.
default = json.load(open("bench/results/default-model.json"))
tpf = next(s["tokensPerForward"] for s in default["infill"] if s["setting"] == "threshold 0.9")
def find(cases, engine_name, rows):
    return next((c for c in cases if c["engine"] == engine_name and c["rows"] == rows and c["model"] == "llada-8b-shape"), None)
summary = []
for name in sorted({c["engine"] for c in engine["cases"] if c["engine"].startswith("cuda")}):
    for rows in (32, 1024):
        ours, theirs = find(engine["cases"], name, rows), find(torch_run["cases"], "pytorch-sdpa", rows)
        if not ours or not theirs:
            continue
        line = {"engine": name, "rows": rows, "cached_prefix": ours["cached_prefix"],
                "forwards_per_s": ours["forwards_per_s"], "pytorch_forwards_per_s": theirs["forwards_per_s"],
                "speedup_vs_pytorch": ours["forwards_per_s"] / theirs["forwards_per_s"],
                "fraction_of_bandwidth_roofline": ours["forwards_per_s"] / ours["bandwidth_roofline_forwards_per_s"] if ours["bandwidth_roofline_forwards_per_s"] else None,
                "fraction_of_flop_roofline": ours["forwards_per_s"] / ours["flop_roofline_forwards_per_s"] if ours["flop_roofline_forwards_per_s"] else None,
                "tokens_per_s_at_default_model_tpf": ours["forwards_per_s"] * tpf if rows == 32 else None,
                "tokens_per_s_at_3_tpf": ours["forwards_per_s"] * 3 if rows == 32 else None}
        summary.append(line)
        print(json.dumps(line))
result = {"measured": datetime.datetime.now(datetime.timezone.utc).isoformat(), "checks_failed": checks,
          "tokens_per_forward_default_model": tpf, "summary": summary, "engine": engine, "pytorch": torch_run}
os.makedirs("bench/results", exist_ok=True)
for path in ["bench/results/device.json"] + ([os.path.join(os.environ["OUT"], "device.json")] if os.environ.get("OUT") else []):
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
print("wrote bench/results/device.json")
PY
exit "$checks"
