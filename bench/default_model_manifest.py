"""The built-in model for anneal-cuda-check --default-model (bench/device.sh), which has no
TypeScript checkpoint reader: writes a manifest of its config, its tensors (canonical key, name,
dtype, offset into model.safetensors, shape; names from the backend's model specification,
packages/backend/src/model-spec/llada.tensors.json) and a tokenised code prompt; or, with --decode,
prints the answers' text.

    python3 bench/default_model_manifest.py MODEL_DIR MANIFEST
    python3 bench/default_model_manifest.py MODEL_DIR --decode ANSWERS
"""

import json
import struct
import sys
from pathlib import Path

PROMPT = "// Returns true when value is a plain object.\nexport function isPlainObject(value) {\n"


# The one table of LLaDA's checkpoint tensor names, as the backend's model specification reads it.
TENSORS = Path(__file__).resolve().parent.parent / "packages/backend/src/model-spec/llada.tensors.json"


def tensor_names(layers, qkv_bias, tied):
    """Engine weight key -> checkpoint name, in the engine's order (model-spec/engine-weights.ts)."""
    templates = json.loads(TENSORS.read_text())
    keys = ["embed", "final_norm"] + ([] if tied else ["head"])
    leaves = ["attn_norm", "q", "k", "v"] + (["q_bias", "k_bias", "v_bias"] if qkv_bias else [])
    leaves += ["o", "ffn_norm", "gate", "up", "down"]
    keys += [f"layers.{i}.{leaf}" for i in range(layers) for leaf in leaves]

    def name(key):
        parts = key.split(".")
        if parts[0] != "layers":
            return templates[key]
        return templates["layers.{i}." + parts[2]].replace("{i}", parts[1])

    return {key: name(key) for key in keys}


def write_manifest(model, out):
    config = json.loads((model / "config.json").read_text())
    dim, heads = config["d_model"], config["n_heads"]
    kv_heads = config.get("n_kv_heads", heads)
    ffn = config.get("mlp_hidden_size", round(config.get("mlp_ratio", 4) * dim))
    vocab = config.get("embedding_size", config["vocab_size"])
    qkv_bias = bool(config.get("include_qkv_bias") or config.get("include_bias"))
    tied = bool(config.get("weight_tying"))
    weights = model / "model.safetensors"
    with open(weights, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    lines = [
        f"config {vocab} {dim} {config['n_layers']} {heads} {kv_heads} {dim // heads} {ffn} "
        f"{config.get('rms_norm_eps', 1e-5)} {config.get('rope_theta', 10000)} {int(qkv_bias)} {int(tied)} "
        f"{config['mask_token_id']} {config['eos_token_id']}",
        f"file {weights.resolve()}",
    ]
    for key, name in tensor_names(config["n_layers"], qkv_bias, tied).items():
        entry = header[name]
        shape = entry["shape"]
        offset = 8 + length + entry["data_offsets"][0]
        lines.append(f"tensor {key} {name} {entry['dtype']} {offset} {len(shape)} {' '.join(map(str, shape))}")
    from tokenizers import Tokenizer

    ids = Tokenizer.from_file(str(model / "tokenizer.json")).encode(PROMPT, add_special_tokens=False).ids
    lines.append("prompt " + " ".join(map(str, ids)))
    Path(out).write_text("\n".join(lines) + "\n")


def decode(model, answers):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model / "tokenizer.json"))
    print("prompt:", repr(PROMPT))
    for line in Path(answers).read_text().splitlines():
        words = line.split()
        engine, ids = words[0], [int(w) for w in words if w.lstrip("-").isdigit()]
        policy = " ".join(w for w in words[1:] if not w.lstrip("-").isdigit())
        print(f"{engine} ({policy}):", repr(tokenizer.decode(ids)))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--decode":
        decode(Path(sys.argv[1]), sys.argv[3])
    else:
        write_manifest(Path(sys.argv[1]), sys.argv[2])
