// What fim, edit and apply do with a proposed new version of a file: show the diff, write it on --write.

import type { Context } from "../context";
import { writeFileAtomic } from "../files/atomic-write";
import { renderDiff } from "../render/diff";

export function showOrWrite(file: string, before: string, after: string, write: boolean, ctx: Context): void {
  if (after === before) {
    ctx.err.write("no change\n");
    return;
  }
  ctx.out.write(`${renderDiff(file, before, after, ctx.colour)}\n`);
  if (write) {
    writeFileAtomic(file, after);
    ctx.err.write(`wrote ${file}\n`);
  }
}
