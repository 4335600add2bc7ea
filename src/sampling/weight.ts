/** Sample weights: the inverse of the probability that a session like this one is kept. */

/**
 * Probability that at least one of independent keep draws fires, given each draw's keep probability
 * (policy probability × budget probability). Each vote draws its own salted hash, so the draws are
 * independent; a certain vote (1) makes the whole probability 1.
 */
export function inclusionProbability(probabilities: readonly number[]): number {
  let missAll = 1;
  for (const p of probabilities) missAll *= 1 - Math.min(1, Math.max(0, p));
  return 1 - missAll;
}
