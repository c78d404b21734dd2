// The `anneal` command: commander wires flags to one file per command; every failure becomes one line
// on stderr and a documented exit code (see exit-codes.ts), never a stack trace unless --verbose.
import { Command, CommanderError, Option } from "commander";
import { drawEveryFrameOnTerminals } from "./chat/draw-every-frame";
import { apply } from "./commands/apply";
import { ask } from "./commands/ask";
import { runBackend } from "./commands/backend";
import { bench } from "./commands/bench";
import { configGet, configList, configPathCommand, configSet, configUse } from "./commands/config";
import { edit } from "./commands/edit";
import { fim } from "./commands/fim";
import { models } from "./commands/models";
import { type Context, type GlobalFlags, makeContext } from "./context";
import { EFFORT_LEVELS } from "./effort-levels";
import { describeFailure, EXIT } from "./exit-codes";

// A reader that stops early (`anneal ask … | head -c 10`) closes stdout: end quietly, as Unix tools do.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  process.exit(error.code === "EPIPE" ? EXIT.ok : EXIT.failure);
});

const program = new Command()
  .name("anneal")
  .description("Diffusion language models from the terminal: Inception's API, any compatible server, or your own.")
  .version("0.1.0")
  .option("--base-url <url>", "API root (default: INCEPTION_BASE_URL, the profile, or Inception's API)")
  .option("--api-key <key>", "bearer key (default: INCEPTION_API_KEY or the profile)")
  .option("-m, --model <id>", "model id (default: ANNEAL_MODEL, the profile, or mercury-2)")
  .addOption(new Option("--effort <level>", "reasoning effort").choices(EFFORT_LEVELS))
  .option("--profile <name>", "settings profile to use (see `anneal config`)")
  .option("--verbose", "log requests and show full errors")
  .exitOverride()
  .configureOutput({ outputError: () => {} }); // commander's own errors are printed below, as one line

let context: Context | undefined;
const ctx = () => {
  context ??= makeContext(program.opts<GlobalFlags>());
  return context;
};
/** Config commands manage profiles, so they must not require the one named by --profile to exist. */
const io = () => ({ out: process.stdout, err: process.stderr });

program
  .command("ask")
  .description("ask one question (arguments or piped stdin); streams the answer")
  .argument("[prompt...]")
  .option("-s, --system <text>", "system message")
  .option("--json", "print the final response as JSON")
  .option("--jsonl", "print every stream event as a JSON line")
  .option("--diffusing", "show the answer crystallising (replaces drafts in place on a terminal)")
  .option("--max-tokens <n>", "answer length limit")
  .option("--temperature <x>", "sampling temperature")
  .action((words: string[], options) => ask(words, options, ctx()));

program
  .command("chat")
  .description("interactive chat with a live diffusion view (/help inside)")
  .option("-s, --system <text>", "system message")
  .option("--diffusing", "start with the diffusion view on")
  .option("--resume [name]", "continue a saved session (the latest without a name)")
  .action(async (options) => {
    // ink is loaded only for the chat (the other commands start faster), after it is told to draw every frame.
    drawEveryFrameOnTerminals();
    const { chat } = await import("./commands/chat");
    return chat(options, ctx());
  });

const modelsCommand = program
  .command("models")
  .description("list the models the API serves (anneal models pull ID: download one for anneal serve)")
  .option("--json", "print JSON")
  .action((options) => models(options, ctx()));
modelsCommand
  .command("pull")
  .description("download a Hugging Face model into the local cache (anneal models pull --help)")
  .allowUnknownOption()
  .allowExcessArguments()
  .helpOption(false)
  .argument("[args...]")
  .action(async () => {
    process.exitCode = await runBackend("pull", argsAfter("models").slice(1));
  });

program
  .command("fim")
  .description("fill in the middle at a position of FILE")
  .argument("<file>")
  .requiredOption("--at <line:col>", "the cursor, 1-based")
  .option("--max-tokens <n>", "infill length limit (default 64)")
  .option("--json", "keep FILE valid JSON: the cursor must be where a value or member goes, or inside a string")
  .option("--write", "write the result into the file")
  .action((file: string, options) => fim(file, options, ctx()));

program
  .command("edit")
  .description("predict the next edit around the cursor in FILE (history: its git diff)")
  .argument("<file>")
  .requiredOption("--cursor <line:col>", "the cursor, 1-based")
  .option("--snippet <file...>", "recently viewed files to show the model")
  .option("--write", "write the result into the file")
  .action((file: string, options) => edit(file, options, ctx()));

program
  .command("apply")
  .description("merge SNIPPET (a file, or - for stdin) into FILE with apply edit")
  .argument("<file>")
  .argument("<snippet>")
  .option("--write", "write the result into the file")
  .option("--force", "accept an answer that does not look like a merge of FILE and SNIPPET")
  .action((file: string, snippet: string, options) => apply(file, snippet, options, ctx()));

program
  .command("bench")
  .description("throughput and latency of the endpoint: concurrent streamed requests")
  .option("--concurrency <levels>", "comma-separated client counts", "1,4,16")
  .option("--requests <n>", "requests per client at each level", "4")
  .option("--max-tokens <n>", "answer length", "64")
  .option("--prompt <text>", "the question every request asks", "Write a function that parses a date string.")
  .option("--json", "print JSON")
  .action((options) => bench(options, ctx()));

for (const [name, description] of [
  ["serve", "run the local server (anneal serve --help for its options)"],
  ["train", "train or fine-tune a model (anneal train --help)"],
  ["eval", "evaluate a checkpoint (anneal eval --help)"],
  ["convert", "write a checkpoint as a GGUF file, optionally quantized (anneal convert --help)"],
] as const) {
  program
    .command(name)
    .description(description)
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .argument("[args...]")
    // The backend command gets every argument after its name untouched: the root's own options
    // (--api-key, --model…) must not swallow flags that belong to the server or the trainer.
    .action(async () => {
      process.exitCode = await runBackend(name, argsAfter(name));
    });
}

/** The arguments typed after subcommand `name`, found with the root program's option definitions. */
function argsAfter(name: string, argv = process.argv.slice(2)): string[] {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === name) return argv.slice(i + 1);
    const option = program.options.find((o) => o.long === arg || o.short === arg);
    if (option && (option.required || option.optional)) i++; // its value, which may look like anything
  }
  return [];
}

const config = program.command("config").description("profiles: base URL, API key, default model, effort");
config
  .command("set")
  .argument("<setting>", "base-url, api-key, model or effort")
  .argument("<value>")
  .option("--profile <name>")
  .action((name: string, value: string, options) =>
    configSet(name, value, { profile: options.profile ?? program.opts<GlobalFlags>().profile }, io()),
  );
config
  .command("get")
  .argument("<setting>")
  .option("--profile <name>")
  .action((name: string, options) =>
    configGet(name, { profile: options.profile ?? program.opts<GlobalFlags>().profile }, io()),
  );
config.command("list").action(() => configList(io()));
config
  .command("use")
  .argument("<profile>")
  .action((name: string) => configUse(name, io()));
config.command("path").action(() => configPathCommand(io()));

// Ctrl+C: Node's default ends the process with 130; `serve` handles it itself (a graceful shutdown,
// exit code 0).
try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) process.exit(0); // --help, --version
    process.stderr.write(`anneal: ${error.message.replace(/^error: /, "")}\n`);
    process.exit(EXIT.usage);
  }
  const { message, code } = describeFailure(error, context?.target());
  process.stderr.write(`anneal: ${message}\n`);
  if (program.opts<GlobalFlags>().verbose && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  process.exit(code);
}
