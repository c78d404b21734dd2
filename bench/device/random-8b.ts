// Writes a LLaDA-8B-shaped model with random BF16 weights as a GGUF file (about 16 GB): the model the
// GPU run serves beside the built-in one (bench/device-run.sh). Usage: random-8b FILE
import { LLADA_8B } from "../support/llada-8b-shape";
import { writeRandomGguf } from "../support/random-gguf-model";

const file = process.argv[2];
if (!file) throw new Error("usage: random-8b FILE.gguf");
const started = Date.now();
writeRandomGguf(file, LLADA_8B, "bf16");
console.log(`random-8b: wrote ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
