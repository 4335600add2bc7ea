/** What a keep policy returns: a vote with the probability it keeps sessions like this one. */
import type { PolicyClass } from '../../config/sampling.js';

/** A keep vote. `probability` < 1 means the engine keeps it only when the session's hash falls under it. */
export interface Vote {
  /** The reason recorded on the decision ('error', 'rare_path', 'rule:<name>', ...). */
  reason: string;
  /** The budget class the vote belongs to. */
  policyClass: PolicyClass;
  /** Keep probability in (0, 1]. */
  probability: number;
}
