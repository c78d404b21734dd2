// A text file as the code commands read and write it: its bytes decoded losslessly (UTF-8, else
// Latin-1), its BOM and CRLF line endings set aside and restored, symlinks written through, binary
// files refused. Whatever cannot be written back byte-exact outside the edit is refused, not mangled.
import { readFileSync, realpathSync } from "node:fs";
import { UsageError } from "../exit-codes";
import { writeFileAtomic } from "./atomic-write";

export interface SourceFile {
  path: string;
  /** The text as the model sees it: LF line endings, no BOM. */
  text: string;
  encoding: "utf8" | "latin1";
  bom: boolean;
  crlf: boolean;
}

const BOM = "\uFEFF";

export function readSourceFile(path: string): SourceFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path === "-" ? 0 : path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder" : (error as Error).message}`,
    );
  }
  if (bytes.subarray(0, 64 * 1024).includes(0)) {
    throw new UsageError(`${path}: looks binary (it has NUL bytes); fim, edit and apply work on text files`);
  }
  let text: string;
  let encoding: SourceFile["encoding"] = "utf8";
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // Not UTF-8: Latin-1 maps every byte to one character and back, so nothing is lost.
    text = bytes.toString("latin1");
    encoding = "latin1";
  }
  const bom = encoding === "utf8" && text.startsWith(BOM);
  if (bom) text = text.slice(1);
  // CRLF only when every line break is one; mixed files are passed through untouched.
  const crlf = text.includes("\r\n") && !/(^|[^\r])\n/.test(text);
  if (crlf) text = text.replaceAll("\r\n", "\n");
  return { path, text, encoding, bom, crlf };
}

/** The file's bytes for `text`, in its own encoding, BOM and line endings; refuses what cannot be kept. */
export function encodeSource(file: SourceFile, text: string): Buffer {
  let body = file.crlf ? text.replace(/\r?\n/g, "\r\n") : text;
  if (file.bom) body = BOM + body;
  if (file.encoding === "latin1") {
    const outside = [...body].find((character) => (character.codePointAt(0) as number) > 0xff);
    if (outside !== undefined) {
      throw new UsageError(
        `${file.path}: is Latin-1, and the new text has ${JSON.stringify(outside)}, which Latin-1 cannot hold; not writing`,
      );
    }
    return Buffer.from(body, "latin1");
  }
  return Buffer.from(body, "utf8");
}

/** Writes `text` over the file atomically; a symlink is written through to its target, not replaced. */
export function writeSourceFile(file: SourceFile, text: string): void {
  writeFileAtomic(realpathSync(file.path), encodeSource(file, text));
}
