import { describe, expect, it } from 'vitest';
import { RefusalLog } from '../../src/receive/refusal-log.js';
import { captureLog } from '../support/log-capture.js';

describe('RefusalLog', () => {
  describe('flush', () => {
    it('writes one line per code with the number of requests since the last flush, then starts afresh', () => {
      const cap = captureLog();
      const r = new RefusalLog({ log: cap.log, intervalMs: 5_000 });
      for (let i = 0; i < 4; i++) r.note('AGT_ERR_QUOTA_EXCEEDED', 'grpc', `quota ${i}`);
      r.note('AGT_ERR_QUOTA_EXCEEDED', 'http', 'quota http');
      r.note('AGT_ERR_UNAUTHENTICATED', 'http', 'no key');
      r.flush();
      const lines = cap.withMsg('export requests refused');
      expect(lines.map((l) => ({ code: l.code, requests: l.requests, transports: l.transports }))).toEqual([
        { code: 'AGT_ERR_QUOTA_EXCEEDED', requests: 5, transports: ['grpc', 'http'] },
        { code: 'AGT_ERR_UNAUTHENTICATED', requests: 1, transports: ['http'] },
      ]);
      expect(lines[0]).toMatchObject({ intervalMs: 5_000, example: 'quota http' });
      r.flush();
      expect(cap.withMsg('export requests refused')).toHaveLength(2);
    });
  });

  describe('stop', () => {
    it('logs what is left', () => {
      const cap = captureLog();
      const r = new RefusalLog({ log: cap.log });
      r.start();
      r.note('AGT_ERR_OVERLOADED', 'grpc', 'busy');
      r.stop();
      expect(cap.withMsg('export requests refused')).toHaveLength(1);
    });
  });
});
