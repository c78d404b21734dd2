// Which characters of a diffusing draft changed since the previous frame: the diffusion view dims
// them, so the settled parts of the answer read clearly while the rest is still being denoised.

/** Segments of `draft`, each marked settled (same as in `previous` at that place) or not. */
export function draftSegments(previous: string, draft: string): { text: string; settled: boolean }[] {
  const segments: { text: string; settled: boolean }[] = [];
  for (let i = 0; i < draft.length; i++) {
    const settled = previous[i] === draft[i];
    const last = segments.at(-1);
    if (last && last.settled === settled) last.text += draft[i];
    else segments.push({ text: draft[i] as string, settled });
  }
  return segments;
}
