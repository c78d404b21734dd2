// The learning-rate schedule: linear warm-up, then cosine decay to a floor.

export function learningRate(step: number, total: number, peak: number, warmup: number, floorRatio: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  const floor = peak * floorRatio;
  return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
}
