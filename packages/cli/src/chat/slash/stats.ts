// /stats: tokens, speed and forward passes of this conversation so far.
import type { SlashCommand } from "./command";

export const stats: SlashCommand = {
  name: "stats",
  usage: "/stats",
  summary: "show tokens, speed and forward passes so far",
  run(_args, { session }) {
    const s = session.stats;
    const rate = s.seconds > 0 ? (s.tokens / s.seconds).toFixed(0) : "-";
    const perForward = s.forwardPasses > 0 ? (s.tokens / s.forwardPasses).toFixed(2) : "-";
    return {
      notice: `${s.requests} answers, ${s.tokens} tokens, ${rate} tok/s, ${s.forwardPasses} forward passes (${perForward} tokens per forward)`,
    };
  },
};
