/** Random parts of simulated sessions: ids and usage, from the scenario's seeded generator. */
import type { SimUsage } from './scenario.js';

/** `bytes` random bytes as hex (never all zero: ids of zeros are invalid in OTLP). */
export function hexId(rand: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(rand() * 256).toString(16).padStart(2, '0');
  return /^0+$/.test(s) ? '01' + s.slice(2) : s;
}

/** Usage of one model call (input inclusive of cache); `outlier` scales it up 60×. */
export function usageFor(rand: () => number, outlier: boolean): SimUsage {
  const scale = outlier ? 60 : 1;
  const input = Math.floor((800 + rand() * 2_400) * scale);
  const cacheRead = Math.floor(input * (0.2 + rand() * 0.5));
  const cacheWrite = Math.floor((input - cacheRead) * rand() * 0.2);
  const output = Math.floor((80 + rand() * 400) * scale);
  return { inputTokens: input, outputTokens: output, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, reasoningTokens: 0 };
}
