// How many tokens the fixed-step samplers unmask at each step.

/** LLaDA's linear schedule: `masked` tokens over `steps` steps, the remainder going to the first steps. */
export function linearQuota(masked: number, steps: number): number[] {
  const base = Math.floor(masked / steps);
  const extra = masked % steps;
  return Array.from({ length: steps }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Dream's timestep schedule: t runs linearly from 1 to `eps` over `steps`; at step i a fraction
 * 1 − t[i+1]/t[i] of the still-masked tokens is unmasked, and everything left on the last step.
 */
export function dreamTransferFraction(step: number, steps: number, eps = 1e-3): number {
  if (step >= steps - 1) return 1;
  const t = (i: number) => 1 + ((eps - 1) * i) / steps;
  return 1 - t(step + 1) / t(step);
}
