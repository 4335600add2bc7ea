/**
 * setReceiveWindows against stand-ins for grpc-js's HTTP/2 servers (no network): what it sets, on which sessions,
 * and that it says 0 when grpc-js keeps its servers where it does not look (the receiver then warns). The real
 * servers are checked by test/integration/receive-grpc-flow-control.test.ts.
 */
import { EventEmitter } from 'node:events';
import type { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { setReceiveWindows } from '../../src/receive/grpc-flow-control.js';

const WINDOWS = { streamBytes: 2 * 1024 * 1024, connectionBytes: 8 * 1024 * 1024 };

class FakeHttp2Server extends EventEmitter {
  settings: unknown[] = [];
  updateSettings(s: unknown): void {
    this.settings.push(s);
  }
}

class FakeSession {
  windows: number[] = [];
  constructor(
    readonly destroyed = false,
    readonly closed = false,
  ) {}
  setLocalWindowSize(n: number): void {
    this.windows.push(n);
  }
}

const grpcServer = (fields: Record<string, unknown>): Server => fields as unknown as Server;

describe('setReceiveWindows', () => {
  it('sets the stream window on every bound HTTP/2 server and the connection window on each new session', () => {
    const a = new FakeHttp2Server();
    const b = new FakeHttp2Server();
    expect(setReceiveWindows(grpcServer({ http2Servers: new Map([[a, {}], [b, {}]]) }), WINDOWS)).toBe(2);
    expect(a.settings).toEqual([{ initialWindowSize: WINDOWS.streamBytes }]);
    expect(b.settings).toEqual([{ initialWindowSize: WINDOWS.streamBytes }]);
    const session = new FakeSession();
    a.emit('session', session);
    expect(session.windows).toEqual([WINDOWS.connectionBytes]);
  });

  it('leaves a session that is already closing as it is', () => {
    const h2 = new FakeHttp2Server();
    setReceiveWindows(grpcServer({ http2Servers: new Map([[h2, {}]]) }), WINDOWS);
    const destroyed = new FakeSession(true);
    const closed = new FakeSession(false, true);
    h2.emit('session', destroyed);
    h2.emit('session', closed);
    expect(destroyed.windows).toEqual([]);
    expect(closed.windows).toEqual([]);
  });

  it('says 0 when the servers are not where this grpc-js version kept them', () => {
    expect(setReceiveWindows(grpcServer({}), WINDOWS)).toBe(0);
    expect(setReceiveWindows(grpcServer({ http2Servers: [] }), WINDOWS)).toBe(0);
    expect(setReceiveWindows(grpcServer({ http2Servers: new Map([[{}, {}]]) }), WINDOWS)).toBe(0);
  });
});
