// Prepares the environment before ink and chalk are loaded, for the interactive chat on a terminal.
//
// ink asks is-in-ci once, when it is first imported, and in CI it prints only <Static> output and the
// final frame — the input line and the live answer would never show. A chat on a real terminal is
// interactive whatever the environment says, so the CI markers are removed for this process (setting
// CI=false instead would make chalk's colour detection report no colour at all). chalk does not read
// NO_COLOR, so it is turned into FORCE_COLOR=0 here (https://no-color.org).
export function drawEveryFrameOnTerminals(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NO_COLOR) env.FORCE_COLOR = "0";
  if (!(process.stdin.isTTY && process.stdout.isTTY)) return;
  for (const key of Object.keys(env)) {
    if (key === "CI" || key === "CONTINUOUS_INTEGRATION" || key.startsWith("CI_")) delete env[key];
  }
}
