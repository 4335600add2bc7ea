/** Types of build-if-stale.mjs for the tests. */
export declare const STAMP: string;
export declare function staleReason(root: string): string | null;
