#!/usr/bin/env bash
# The product on the GPU machine, in one call, from the folder bench/device-pack.sh made (carried as
# packages/backend/device-pack): unpacks Node, builds the addon with its CUDA kernels (sm_90; the
# machine needs CMake, a C++ compiler and nvcc), runs the GPU half of test/cuda.test.ts and the
# server's end-to-end tests (the server picks the GPU by itself), benchmarks `anneal serve` on the
# GPU with the built-in model and with a random LLaDA-8B-shaped BF16 model at concurrency 1 to 64,
# then runs bench/device.sh (kernel checks, the 8B shapes against PyTorch, rooflines). Results and
# logs go to $OUT. Every step runs under its own timeout and the run goes on past a failed step.
#
#   bash bench/device-run.sh                  # on the GPU machine
#   DRY_RUN=1 bash bench/device-run.sh        # on a CPU: CPU build, small benches, no 8B, no device.sh
#   SKIP_8B=1 SKIP_KERNELS=1 bash bench/device-run.sh
set -uo pipefail
cd "$(dirname "$0")/.."
pack=$PWD/packages/backend/device-pack
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
failed=()
step() { # step NAME SECONDS COMMAND...: runs one step under a timeout, logging to $out/NAME.log
  local name=$1 seconds=$2
  shift 2
  echo "== $name"
  local started=$SECONDS
  if timeout "$seconds" "$@" >"$out/$name.log" 2>&1; then
    tail -n "${TAIL:-12}" "$out/$name.log"
    echo "-- $name: ok in $((SECONDS - started)) s"
  else
    tail -n 40 "$out/$name.log"
    echo "-- $name: FAILED (exit $?) after $((SECONDS - started)) s"
    failed+=("$name")
  fi
}

echo "== Node from the pack"
bin=$(mktemp -d)
if command -v xz >/dev/null; then
  xz -dc "$pack/node.xz" >"$bin/node"
else # the lzma module of Python's standard library reads the same format
  python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$pack/node.xz" "$bin/node"
fi
chmod +x "$bin/node"
export PATH="$bin:$PATH"
export NODE_PATH="$pack/node_modules" # the tokenizer worker and the addon build resolve packages here
echo "$(command -v node): $(node --version)"

if [[ "${DRY_RUN:-0}" == 1 ]]; then
  export ANNEAL_CUDA=OFF DEVICE=cpu SKIP_8B=1 SKIP_KERNELS=1 CONCURRENCY=${CONCURRENCY:-1,4} BENCH_TOKENS=16 BENCH_REQUESTS=2
else
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  export ANNEAL_CUDA=${ANNEAL_CUDA:-ON} ANNEAL_CUDA_ARCHITECTURES=${ANNEAL_CUDA_ARCHITECTURES:-90}
fi
device=${DEVICE:-auto}
concurrency=${CONCURRENCY:-1,4,16,64}
threads=$(nproc)

step addon-build 400 node packages/backend/native/build.mjs
step cuda-tests 240 node --test-reporter=spec "$pack/cuda.test.mjs"
step server-api-e2e 300 node --test-reporter=spec "$pack/server-api.e2e.test.mjs"
step server-limits-e2e 200 node --test-reporter=spec "$pack/server-limits.e2e.test.mjs"
TAIL=8 BENCH_DEVICE=$device BENCH_CONCURRENCY=$concurrency BENCH_THREADS=$threads \
  BENCH_RESULTS="$out/server-builtin.json" step server-bench-builtin 300 node "$pack/bench-server.mjs"

if [[ "${SKIP_8B:-0}" != 1 ]]; then
  model=${BENCH_8B_FILE:-/tmp/anneal-llada-8b-bf16.gguf}
  [[ -s "$model" ]] || step random-8b 300 node "$pack/random-8b.mjs" "$model"
  TAIL=8 BENCH_DEVICE=$device BENCH_MODEL=$model BENCH_CONCURRENCY=${CONCURRENCY_8B:-1,4,16} \
    BENCH_THREADS=$threads BENCH_TOKENS=${BENCH_TOKENS_8B:-64} BENCH_REQUESTS=2 \
    BENCH_RESULTS="$out/server-8b.json" step server-bench-8b 400 node "$pack/bench-server.mjs"
fi
if [[ "${SKIP_KERNELS:-0}" != 1 ]]; then
  OUT=$out step kernels-vs-pytorch 400 bash bench/device.sh
fi

echo "== summary: logs and JSON in $out"
if ((${#failed[@]})); then
  echo "failed: ${failed[*]}"
  exit 1
fi
echo "every step passed"
