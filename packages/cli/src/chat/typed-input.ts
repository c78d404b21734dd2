// What arrives from the keyboard in one read — one key, or a paste with its own line breaks — turned
// into what to send and what stays in the input line.

/** Input line plus a burst of text: the part up to the burst's last line break is sent, the rest stays. */
export function splitBurst(input: string, burst: string): { send: string | undefined; keep: string } {
  const text = input + burst.replace(/\r\n?/g, "\n");
  if (!/[\r\n]/.test(burst)) return { send: undefined, keep: text };
  const last = text.lastIndexOf("\n");
  return { send: text.slice(0, last), keep: text.slice(last + 1) };
}

/**
 * A sent text as the chat handles it: a slash command on its first line runs on its own, and the lines
 * after it go out as a message (a paste of "/stats⏎hello⏎" runs /stats, then sends "hello").
 */
export function splitCommand(
  text: string,
  isCommand: (line: string) => boolean,
): { command?: string; message?: string } {
  const [first = "", ...rest] = text.split("\n");
  if (!isCommand(first)) return { message: text };
  const message = rest.join("\n").trim();
  return message ? { command: first.trim(), message } : { command: first.trim() };
}
