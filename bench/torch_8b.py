"""PyTorch on the shapes anneal-cuda-check benchmarks (LLaDA-8B: 32 layers, d_model 4096, 32 heads,
MLP 12288, vocab 126464), BF16 with SDPA, random weights: the side-by-side baseline of bench/device.sh.

Prints one JSON object: forward passes per second for a 32-token block over a 512-token cached
prefix and for a whole 1,024-token canvas (LM head on the computed rows, as our engine runs it),
eagerly and replayed from a CUDA graph.
"""

import json
import sys
import time

import torch
import torch.nn.functional as F

V, D, LAYERS, H, DH, FFN, THETA = 126464, 4096, 32, 32, 128, 12288, 500000.0
DEVICE = "cuda"


def weight(*shape):
    return torch.randn(*shape, device=DEVICE, dtype=torch.bfloat16) * 0.02


def ones():
    return torch.ones(D, device=DEVICE, dtype=torch.bfloat16)


torch.manual_seed(0)
embed, head, final_norm = weight(V, D), weight(V, D), ones()
layers = [
    {"attn_norm": ones(), "q": weight(D, D), "k": weight(D, D), "v": weight(D, D), "o": weight(D, D),
     "ffn_norm": ones(), "gate": weight(FFN, D), "up": weight(FFN, D), "down": weight(D, FFN)}
    for _ in range(LAYERS)
]
inv_freq = 1.0 / (THETA ** (torch.arange(0, DH, 2, device=DEVICE, dtype=torch.float32) / DH))


def rope(x, positions):  # x: [rows, heads, DH], rotate-half with FP32 angles
    angles = positions[:, None].float() * inv_freq[None]
    cos, sin = angles.cos()[:, None, :], angles.sin()[:, None, :]
    x1, x2 = x[..., : DH // 2].float(), x[..., DH // 2 :].float()
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1).to(x.dtype)


@torch.inference_mode()
def forward(tokens, positions, cache):
    x = embed[tokens]
    for layer, p in enumerate(layers):
        h = F.rms_norm(x, (D,), p["attn_norm"], 1e-5)
        q = rope((h @ p["q"].T).view(-1, H, DH), positions)
        k = rope((h @ p["k"].T).view(-1, H, DH), positions)
        v = (h @ p["v"].T).view(-1, H, DH)
        if cache is not None:
            k = torch.cat([cache[layer][0], k])
            v = torch.cat([cache[layer][1], v])
        attended = F.scaled_dot_product_attention(q.transpose(0, 1)[None], k.transpose(0, 1)[None], v.transpose(0, 1)[None])
        x = x + attended[0].transpose(0, 1).reshape(-1, D) @ p["o"].T
        h = F.rms_norm(x, (D,), p["ffn_norm"], 1e-5)
        x = x + (F.silu(h @ p["gate"].T) * (h @ p["up"].T)) @ p["down"].T
    logits = F.rms_norm(x, (D,), final_norm, 1e-5) @ head.T
    return torch.softmax(logits.float(), dim=-1).max(dim=-1)  # what a sampler needs, on the device


def forwards_per_second(prefix, rows, seconds):
    tokens = torch.randint(0, V, (rows,), device=DEVICE)
    positions = torch.arange(prefix, prefix + rows, device=DEVICE)
    cache = [(weight(prefix, H, DH), weight(prefix, H, DH)) for _ in range(LAYERS)] if prefix else None
    for _ in range(2):
        forward(tokens, positions, cache)
    torch.cuda.synchronize()
    runs, start = 0, time.perf_counter()
    while runs < 3 or time.perf_counter() - start < seconds:
        forward(tokens, positions, cache)
        torch.cuda.synchronize()
        runs += 1
    return runs / (time.perf_counter() - start)


def forwards_per_second_graphed(prefix, rows, seconds):
    """The same forward captured once in a CUDA graph and replayed: PyTorch without Python's launch
    overhead, the stricter baseline. None if capture fails."""
    tokens = torch.randint(0, V, (rows,), device=DEVICE)
    positions = torch.arange(prefix, prefix + rows, device=DEVICE)
    cache = [(weight(prefix, H, DH), weight(prefix, H, DH)) for _ in range(LAYERS)] if prefix else None
    try:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):
                forward(tokens, positions, cache)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            forward(tokens, positions, cache)
    except RuntimeError as error:
        print(f"CUDA graph capture failed: {error}", file=sys.stderr)
        return None
    for _ in range(2):
        graph.replay()
    torch.cuda.synchronize()
    runs, start = 0, time.perf_counter()
    while runs < 3 or time.perf_counter() - start < seconds:
        graph.replay()
        torch.cuda.synchronize()
        runs += 1
    return runs / (time.perf_counter() - start)


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    result = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0),
        "cases": [
            {"model": "llada-8b-shape", "engine": "pytorch-sdpa", "cached_prefix": 512, "rows": 32,
             "forwards_per_s": forwards_per_second(512, 32, seconds)},
            {"model": "llada-8b-shape", "engine": "pytorch-sdpa", "cached_prefix": 0, "rows": 1024,
             "forwards_per_s": forwards_per_second(0, 1024, seconds)},
            {"model": "llada-8b-shape", "engine": "pytorch-sdpa-cuda-graph", "cached_prefix": 512, "rows": 32,
             "forwards_per_s": forwards_per_second_graphed(512, 32, seconds)},
            {"model": "llada-8b-shape", "engine": "pytorch-sdpa-cuda-graph", "cached_prefix": 0, "rows": 1024,
             "forwards_per_s": forwards_per_second_graphed(0, 1024, seconds)},
        ],
    }
    print(json.dumps(result))
