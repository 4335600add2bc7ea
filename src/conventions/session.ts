/** Session-id resolution by alias precedence, span attributes before resource attributes. */
import type { Attributes } from '../model/otlp-values.js';
import { SESSION_ALIASES } from './aliases.js';
import { readString } from './read-attr.js';

/**
 * The effective precedence: the configured names first (they may name custom attributes too), then the
 * remaining default aliases in table order, so configuring a preference never silently drops an alias.
 */
export function sessionPrecedence(configured: readonly string[] | undefined): string[] {
  const head = configured ?? [];
  return [...head, ...SESSION_ALIASES.filter((a) => !head.includes(a))];
}

/** The session id: first present alias in precedence order on the span, else on its resource. */
export function resolveSessionId(span: Attributes, resource: Attributes, precedence: readonly string[]): string | null {
  return readString(span, precedence) ?? readString(resource, precedence);
}
