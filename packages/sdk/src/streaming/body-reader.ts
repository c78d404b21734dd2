// Reads a whole response body while measuring only the server's silence: the idle timer runs while a
// read is pending and starts over with every chunk, so a body that trickles steadily is never cut.
import { IdleTimer } from "./idle-timer";

/**
 * The body as text. When no chunk arrives for `idleTimeoutMs`, `onIdle` decides: throw to fail the
 * read, or return to keep what arrived so far.
 */
export async function readBodyText(
  response: Response,
  idleTimeoutMs: number,
  onIdle: () => "keep" | never,
  aborted?: Promise<never>,
): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let idle!: () => void;
  const silence = new Promise<"idle">((resolve) => {
    idle = () => resolve("idle");
  });
  const timer = new IdleTimer(idleTimeoutMs, () => idle());
  try {
    for (;;) {
      timer.restart();
      const next = await Promise.race([reader.read(), silence, ...(aborted ? [aborted] : [])]);
      if (next === "idle") {
        onIdle();
        return text + decoder.decode();
      }
      if (next.done) return text + decoder.decode();
      text += decoder.decode(next.value, { stream: true });
    }
  } finally {
    timer.stop();
    reader.cancel().catch(() => {});
  }
}
