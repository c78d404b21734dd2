#!/usr/bin/env python3
"""A kernel's hot loop through llvm-mca: cycles per iteration on a CPU model, free of this VM's noise.

On the shared 2-core VM two copies of one build have differed by up to 1.3x in a timed A/B, so a
change to a compute-bound tile is easier to judge by its inner loop's static schedule first:

  python3 bench/loop-mca.py packages/backend/native/build/anneal.node 'k_quant_tile<anneal::PanelBlockQ4_K, 4>'

finds the function (the first symbol containing the text), takes its backward-jumping loops, and
runs llvm-mca (Debian's llvm, `-mcpu` znver3 unless --cpu says otherwise) on the one with the most
vector multiplies (`--loop N` picks another; `--list` lists them). It prints cycles per iteration
and multiplies per cycle. A model, not a measurement: LLVM 14's znver3 model charges a 256-bit FMA
two cycles of a pipe, where the measured FP32 peak shows two FMAs a cycle, so compare variants of
one loop with it (it called the Q4_K tile's shared broadcasts faster and Q6_K's slower, as the
timed runs then found), and confirm with bench/compare-addons.ts.
"""
import argparse
import re
import subprocess
import sys

MULTIPLIES = re.compile(r"vpmaddubsw|vpmaddwd|vpdpbusd|vfn?madd|vdpbf16ps")


def instructions(library: str, name: str) -> list[tuple[int, str]]:
    symbols = subprocess.run(["nm", "-C", "-n", library], capture_output=True, text=True, check=True).stdout.splitlines()
    index = next((i for i, line in enumerate(symbols) if name in line), None)
    if index is None or index + 1 >= len(symbols):
        sys.exit(f"loop-mca: no symbol containing {name!r} in {library}")
    start, end = int(symbols[index].split()[0], 16), int(symbols[index + 1].split()[0], 16)
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", f"--start-address={start}", f"--stop-address={end}", library],
        capture_output=True, text=True, check=True).stdout.splitlines()
    found = []
    for line in listing:
        match = re.match(r"\s+([0-9a-f]+):\s+(.*)", line)
        if match:
            found.append((int(match.group(1), 16), match.group(2).split("<")[0].strip()))
    return found


def loops(code: list[tuple[int, str]]) -> list[list[str]]:
    """The innermost loops' bodies (a backward jump's range holding no other), most multiplies first."""
    spans = []
    for address, text in code:
        jump = re.match(r"j\w+\s+([0-9a-f]+)", text)
        if jump and int(jump.group(1), 16) < address:
            spans.append((int(jump.group(1), 16), address))
    innermost = [(s, e) for s, e in spans if not any(s <= s2 and e2 < e for s2, e2 in spans if (s2, e2) != (s, e))]
    bodies = [[t for a, t in code if s <= a < e and not t.startswith("nop")] for s, e in innermost]
    return sorted(bodies, key=lambda body: -sum(bool(MULTIPLIES.search(t)) for t in body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library")
    parser.add_argument("function")
    parser.add_argument("--cpu", default="znver3")
    parser.add_argument("--loop", type=int, default=0)
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    bodies = loops(instructions(args.library, args.function))
    if not bodies:
        sys.exit(f"loop-mca: {args.function!r} has no loop")
    if args.list:
        for i, body in enumerate(bodies):
            print(f"loop {i}: {len(body)} instructions, {sum(bool(MULTIPLIES.search(t)) for t in body)} multiplies")
        return
    body = bodies[args.loop]
    iterations = 200
    report = subprocess.run(["llvm-mca", f"-mcpu={args.cpu}", f"-iterations={iterations}"], input="\n".join(body),
                            capture_output=True, text=True, check=True).stdout
    cycles = int(re.search(r"Total Cycles:\s+(\d+)", report).group(1)) / iterations
    multiplies = sum(bool(MULTIPLIES.search(t)) for t in body)
    print(f"{args.function}: loop of {len(body)} instructions, {multiplies} multiplies; "
          f"{cycles:.1f} cycles an iteration on {args.cpu}, {multiplies / cycles:.2f} multiplies a cycle")


if __name__ == "__main__":
    main()
