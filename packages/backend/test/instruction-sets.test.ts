// The addon loads on every x86-64 CPU, whichever vector units it has: the files compiled for an optional
// instruction set (AVX2, AVX-512, VNNI, BF16; CMakeLists.txt names them) run no code until the CPU has
// been checked. Two ways they could: a static initializer (a file-scope object built at load — the
// addon once died with SIGILL on load on a CPU without AVX-512 this way), or an inline function or
// template they share with the portable files, of which the linker keeps one copy — possibly theirs.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";

const native = new URL("../native/", import.meta.url).pathname;
const addonPath = join(native, "build/anneal.node");

/** The source files CMakeLists.txt compiles with extra -m flags. */
function isaFiles(): string[] {
  const cmake = readFileSync(join(native, "CMakeLists.txt"), "utf8");
  const files = new Set<string>();
  for (const call of cmake.matchAll(/set_source_files_properties\(([^)]*?)PROPERTIES\s+COMPILE_OPTIONS\s+"([^"]*)"/g)) {
    if (!/-m(avx|fma|f16c)/.test(call[2] as string)) continue;
    for (const file of (call[1] as string).trim().split(/\s+/)) files.add(basename(file));
  }
  return [...files];
}

/** `nm` lines of a binary or object file, demangling off (symbol names as the linker sees them). */
function symbols(path: string): string[] {
  return execFileSync("nm", [path], { encoding: "utf8", maxBuffer: 64 << 20 }).split("\n");
}

/** Every object file the build left, by source file name (CMake names them <source>.o). */
function objectFiles(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".cpp.o")) found.set(entry.name.slice(0, -2), path);
    }
  };
  walk(join(native, "build/CMakeFiles"));
  return found;
}

describe("files compiled for optional instruction sets", () => {
  const files = isaFiles();

  it("are the kernel files CMakeLists.txt names", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "kernels_avx2.cpp",
        "kernels_avx512.cpp",
        "quant_dots_vnni.cpp",
        "quant_panels_vnni.cpp",
      ]),
    );
  });

  it("run nothing when the addon loads (no static initializers)", () => {
    const initializers = symbols(addonPath)
      .map((line) => /_GLOBAL__sub_I_(\S+)$/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(initializers.length).toBeGreaterThan(0); // the symbols are there to be read (not stripped)
    expect(initializers.filter((file) => files.includes(file))).toEqual([]);
  });

  it("share no inline function or template instance with the other files", () => {
    const objects = objectFiles();
    if (!existsSync(addonPath) || objects.size === 0) throw new Error("build the addon first (native/build.mjs)");
    /** Weak (COMDAT) symbols an object defines: where several do, the linker keeps one. */
    const weak = (path: string) =>
      new Set(
        symbols(path)
          .map((line) => line.trim().split(/\s+/))
          .filter((parts) => parts.length === 3 && /^[WVu]$/.test(parts[1] as string))
          .map((parts) => parts[2] as string)
          .filter((name) => !name.startsWith("DW.ref.")), // exception-personality pointers: data, no code
      );
    const portable = new Set<string>();
    for (const [file, path] of objects) if (!files.includes(file)) for (const name of weak(path)) portable.add(name);
    expect(portable.size).toBeGreaterThan(0); // the portable files' instances are there to compare with
    const shared: string[] = [];
    for (const file of files) {
      const path = objects.get(file);
      if (path === undefined) throw new Error(`no object file for ${file}`);
      for (const name of weak(path)) if (portable.has(name)) shared.push(`${file}: ${name}`);
    }
    expect(shared).toEqual([]);
  });
});
