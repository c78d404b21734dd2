"""GGUF interoperability with llama.cpp's own Python package, gguf-py (a manual check: it needs
`pip install gguf numpy`, which CI cannot reach; the project's tests need only npm).

  python3 scripts/gguf-interop.py read REFERENCE_F16.gguf OURS.gguf...
      gguf-py reads files `anneal convert` wrote and dequantizes every tensor with llama.cpp's
      reference code; prints each type's worst relative RMS error against the F16 export.
  python3 scripts/gguf-interop.py compare REFERENCE_F16.gguf OURS.gguf THEIRS.gguf
      the squared error of two quantizations of the same model against the F16 export, in total
      and tensor by tensor (e.g. ours against gguf-py's reference quantizer, written by `write`).
  python3 scripts/gguf-interop.py write REFERENCE_F16.gguf OUT.gguf TYPE
      writes the same model as llama.cpp's converter and quantizer would (gguf-py's GGUFWriter and
      quantizers, TYPE q8_0, q4_0, q4_k or q6_k for every matrix), for `anneal` to load.
"""
import sys

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter
from gguf.quants import dequantize, quantize


def field(reader, key):
    f = reader.fields[key]
    if len(f.data) == 1 and f.types[0].name != "ARRAY":
        value = f.parts[f.data[0]]
        return bytes(value).decode() if f.types[0].name == "STRING" else value[0].item()
    if f.types[-1].name == "STRING":
        return [bytes(f.parts[i]).decode() for i in f.data]
    return [f.parts[i][0].item() for i in f.data]


def values(reader):
    return {t.name: (dequantize(t.data, t.tensor_type), t.tensor_type) for t in reader.tensors}


def read(reference, files):
    expected = values(GGUFReader(reference))
    for path in files:
        reader = GGUFReader(path)
        worst = {}
        for name, (v, qtype) in values(reader).items():
            ref = expected[name][0].reshape(-1)
            error = float(np.sqrt(np.mean((v.reshape(-1) - ref) ** 2)) / (np.sqrt(np.mean(ref**2)) + 1e-12))
            worst[qtype.name] = max(worst.get(qtype.name, 0.0), error)
        print(path, field(reader, "general.architecture"), {k: round(e, 4) for k, e in worst.items()})


def compare(reference, ours, theirs):
    expected, a, b = (values(GGUFReader(path)) for path in (reference, ours, theirs))
    total_a = total_b = 0.0
    worse = []
    for name, (ref, _) in expected.items():
        if ref.size < 1024:
            continue
        ref = ref.reshape(-1)
        error_a = float(np.sum((a[name][0].reshape(-1) - ref) ** 2))
        error_b = float(np.sum((b[name][0].reshape(-1) - ref) ** 2))
        total_a, total_b = total_a + error_a, total_b + error_b
        if error_a > error_b * 1.0001:
            worse.append(name)
    print(f"squared error {ours} / {theirs}: {total_a / total_b:.3f}; worse on {len(worse)} tensors {worse}")


def write(reference, out, kind):
    reader = GGUFReader(reference)
    qtype = GGMLQuantizationType[kind.upper()]
    arch = field(reader, "general.architecture")
    writer = GGUFWriter(out, arch)
    # The keys llama.cpp's converter writes for LLaDA, through the writer's own methods.
    writer.add_context_length(field(reader, f"{arch}.context_length"))
    writer.add_embedding_length(field(reader, f"{arch}.embedding_length"))
    writer.add_block_count(field(reader, f"{arch}.block_count"))
    writer.add_feed_forward_length(field(reader, f"{arch}.feed_forward_length"))
    writer.add_head_count(field(reader, f"{arch}.attention.head_count"))
    writer.add_head_count_kv(field(reader, f"{arch}.attention.head_count_kv"))
    writer.add_layer_norm_rms_eps(field(reader, f"{arch}.attention.layer_norm_rms_epsilon"))
    writer.add_rope_freq_base(field(reader, f"{arch}.rope.freq_base"))
    writer.add_rope_dimension_count(field(reader, f"{arch}.rope.dimension_count"))
    writer.add_vocab_size(field(reader, f"{arch}.vocab_size"))
    writer.add_causal_attention(False)
    writer.add_diffusion_shift_logits(False)
    writer.add_file_type({"Q8_0": 7, "Q4_0": 2, "Q4_K": 14, "Q6_K": 18}[qtype.name])
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(field(reader, "tokenizer.ggml.pre"))
    writer.add_token_list(field(reader, "tokenizer.ggml.tokens"))
    writer.add_token_types(field(reader, "tokenizer.ggml.token_type"))
    writer.add_token_merges(field(reader, "tokenizer.ggml.merges"))
    writer.add_eos_token_id(field(reader, "tokenizer.ggml.eos_token_id"))
    writer.add_mask_token_id(field(reader, "tokenizer.ggml.mask_token_id"))
    writer.add_add_bos_token(False)
    writer.add_chat_template(field(reader, "tokenizer.chat_template"))
    for name, (v, _) in values(reader).items():
        v = v.astype(np.float32)
        if v.ndim == 2 and v.shape[-1] % 256 == 0:
            writer.add_tensor(name, quantize(v, qtype), raw_dtype=qtype)
        elif v.ndim == 2:
            writer.add_tensor(name, quantize(v, GGMLQuantizationType.Q8_0), raw_dtype=GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(name, v)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(out, "written by gguf-py:", qtype.name)


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        write(sys.argv[2], sys.argv[3], sys.argv[4])
