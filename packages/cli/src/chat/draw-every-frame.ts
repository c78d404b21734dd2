// Makes ink draw every frame of the interactive chat even where CI variables are set.
//
// ink asks is-in-ci once, when it is first imported, and in CI it prints only <Static> output and the
// final frame — the input line and the live answer would never show. A chat running on a real terminal
// is interactive whatever the environment says, so before ink is loaded we tell it so.
export function drawEveryFrameOnTerminals(): void {
  if (process.stdin.isTTY && process.stdout.isTTY) process.env.CI = "false";
}
