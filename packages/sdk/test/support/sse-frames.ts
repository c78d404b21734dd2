// Splits SSE text into frames, each ending in its blank line; a trailing partial frame is kept.

export function sseFrames(text: string): string[] {
  return text.match(/[\s\S]*?\n\n|[\s\S]+$/g) ?? [];
}
