// Removes one Markdown code fence around a model's reply, if the whole reply is fenced.

const FENCED = /^\s*(`{3,})[^\n`]*\n([\s\S]*?)\n?\1\s*$/;

export function stripCodeFence(text: string): string {
  const match = FENCED.exec(text);
  return match ? (match[2] as string) : text;
}
