/** Labelled synthetic session streams for the cost-outlier tests and the warm-start bench (not a test file). */
import { mulberry32 } from '../../src/prng.js';

/** One synthetic session: tokens, cost, and whether it was generated as an outlier. */
export interface StreamSession {
  tokens: number;
  costUsd: number;
  outlier: boolean;
}

/** How ordinary sessions are spread: log-normal, or 1–3 turns of two model calls each (the shape `simulate` sends). */
export type OrdinaryShape = 'lognormal' | 'turns';

/** `count` sessions, a `share` of them `factor` × an ordinary session's tokens and cost, reproducible from `seed`. */
export function labelledStream(p: { count: number; share: number; factor: number; shape: OrdinaryShape; seed: number }): StreamSession[] {
  const rand = mulberry32(p.seed);
  const out: StreamSession[] = [];
  for (let i = 0; i < p.count; i++) {
    const outlier = rand() < p.share;
    let tokens: number;
    if (p.shape === 'lognormal') {
      // Box–Muller: a standard normal from two uniforms; σ = 0.5 in log space around 4,000 tokens.
      const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      tokens = 4_000 * Math.exp(0.5 * z);
    } else {
      tokens = 0;
      const calls = 2 * (1 + Math.floor(rand() * 3));
      for (let c = 0; c < calls; c++) tokens += 880 + rand() * 2_800;
    }
    if (outlier) tokens *= p.factor;
    out.push({ tokens: Math.round(tokens), costUsd: tokens * 2.5e-6 * (0.9 + rand() * 0.2), outlier });
  }
  return out;
}
