/** Expected outcomes are values, not exceptions (STYLE.md 9). Throw only for bugs. */
import type { AgtError } from './errors.js';

export type Outcome<T = void> =
  | { status: 'ok'; value: T }
  | { status: 'retryable'; error: AgtError; retryInMs: number }
  | { status: 'failed'; error: AgtError };

export function ok(): Outcome<void>;
export function ok<T>(value: T): Outcome<T>;
export function ok<T>(value?: T): Outcome<T | undefined> {
  return { status: 'ok', value };
}

export function retryable(error: AgtError, retryInMs: number): Outcome<never> {
  return { status: 'retryable', error, retryInMs };
}

export function failed(error: AgtError): Outcome<never> {
  return { status: 'failed', error };
}
