/** Policy `baseline`: a deterministic share of all sessions, the same on every instance. */
import type { SessionSummary } from '../../model/session.js';
import { unitHash } from '../basis/hash.js';
import { voteList, type KeepPolicy } from './policy.js';
import type { Vote } from '../basis/vote.js';

/** The session key every instance hashes: tenant, NUL, session id. */
export function sessionKey(summary: Pick<SessionSummary, 'tenantId' | 'sessionId'>): string {
  return `${summary.tenantId}\u0000${summary.sessionId}`;
}

/**
 * The baseline hash of a session: murmur3 (seed 0) of its key as a number in [0, 1). The baseline keeps
 * the session when this is under `baselineRate`, so raising the rate only adds sessions.
 */
export function baselineHash(summary: Pick<SessionSummary, 'tenantId' | 'sessionId'>): number {
  return unitHash(sessionKey(summary), 0);
}

/** Always votes with probability `rate`; the engine draws baselineHash against it. */
export class BaselinePolicy implements KeepPolicy {
  readonly name = 'baseline';
  private readonly rate: number;
  /** The same vote for every session: built once. */
  private readonly list: readonly Vote[];

  constructor(params: { rate: number }) {
    this.rate = params.rate;
    this.list = voteList(this.vote());
  }

  /** The baseline vote (none at rate 0; the policy list leaves a 0-rate baseline out anyway). */
  votes(): readonly Vote[] {
    return this.list;
  }

  /** The shared baseline hash: the same draw on every instance. */
  draw(summary: Pick<SessionSummary, 'tenantId' | 'sessionId'>): number {
    return baselineHash(summary);
  }

  /** A vote with probability `rate`, or null when the rate is 0. */
  vote(): Vote | null {
    return this.rate > 0 ? { reason: 'baseline', policyClass: 'baseline', probability: this.rate } : null;
  }
}
