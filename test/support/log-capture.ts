/** A real pino logger whose JSON lines are kept in memory, for tests that check what the collector says. */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface LogCapture {
  log: Logger;
  /** Every line so far, parsed. */
  lines: () => Record<string, unknown>[];
  /** Lines whose `msg` is exactly `msg`. */
  withMsg: (msg: string) => Record<string, unknown>[];
}

export function captureLog(level = 'info'): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level }, stream);
  return { log, lines: () => lines, withMsg: (msg) => lines.filter((l) => l.msg === msg) };
}
