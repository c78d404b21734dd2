// What fim, edit and apply do with a proposed new version of a file: show the diff, write it on --write.

import type { Context } from "../context";
import { type SourceFile, writeSourceFile } from "../files/source-file";
import { renderDiff } from "../render/diff";

export function showOrWrite(file: SourceFile, after: string, write: boolean, ctx: Context): void {
  if (after === file.text) {
    ctx.err.write("no change\n");
    return;
  }
  ctx.out.write(`${renderDiff(file.path, file.text, after, ctx.colour)}\n`);
  if (write) {
    writeSourceFile(file, after);
    ctx.err.write(`wrote ${file.path}\n`);
  }
}
