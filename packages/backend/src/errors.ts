// Errors about model files: each names the file and what is wrong with it.

export class CheckpointError extends Error {
  override name = "CheckpointError";

  constructor(
    /** The file (or folder) at fault. */
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}
