import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AgtError, ERRORS, GrpcCode, isAgtError } from '../../src/model/errors.js';

const grpcName = Object.fromEntries(Object.entries(GrpcCode).map(([k, v]) => [v, k]));

describe('errors registry', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map(
    doc
      .split('\n')
      .filter((l) => l.startsWith('| AGT_ERR_'))
      .map((l) => l.split('|').map((c) => c.trim()))
      .map((cells) => [cells[1], cells] as const),
  );

  it('documents every code with its gRPC code, HTTP status and retryability', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = rows.get(code);
      expect(row, `docs/errors.md lacks ${code}`).toBeDefined();
      expect(row![2]).toBe(grpcName[spec.grpc]);
      expect(Number(row![3])).toBe(spec.http);
      expect(row![4]).toBe(spec.retryable ? 'yes' : 'no');
    }
  });

  it('documents no code the registry lacks', () => {
    for (const code of rows.keys()) expect(Object.keys(ERRORS)).toContain(code);
  });

  it('marks every retryable code with a retryable transport status', () => {
    for (const spec of Object.values(ERRORS)) {
      if (spec.retryable) {
        expect([GrpcCode.UNAVAILABLE, GrpcCode.RESOURCE_EXHAUSTED]).toContain(spec.grpc);
        expect([429, 503]).toContain(spec.http);
      }
    }
  });

  it('keeps the cause and code on AgtError', () => {
    const cause = new Error('inner');
    const err = new AgtError('AGT_ERR_QUOTA_EXCEEDED', 'over', { cause, retryInMs: 500 });
    expect(isAgtError(err, 'AGT_ERR_QUOTA_EXCEEDED')).toBe(true);
    expect(isAgtError(err, 'AGT_ERR_BUFFER_FULL')).toBe(false);
    expect(err.cause).toBe(cause);
    expect(err.retryInMs).toBe(500);
    expect(err.spec.http).toBe(429);
  });
});
