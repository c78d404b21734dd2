// Largest absolute difference between the engine's logits [rows][V] and the reference's.
export function maxLogitError(actual: Float32Array, expected: Float64Array[], vocab: number): number {
  let worst = 0;
  expected.forEach((row, r) => {
    row.forEach((value, i) => {
      worst = Math.max(worst, Math.abs(value - (actual[r * vocab + i] as number)));
    });
  });
  return worst;
}
