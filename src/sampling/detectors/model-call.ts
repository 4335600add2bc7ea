/**
 * Which spans are model calls, for the detectors and the errors policy: the conventions' one rule (a span that counts
 * usage, or a call operation on a span that is not a wrapper carrying its children's usage), so detectors, the
 * residency policy and the provider rollup count the same calls.
 */
export { isModelCall } from '../../conventions/provider-call.js';

/** Orders spans by start time (then end time). */
export { byStart } from '../../conventions/span-order.js';
