/** Tables for people: cli-table3 with its colours only when the output is a terminal and NO_COLOR is not set. */
import Table from 'cli-table3';

/** Colour is for terminals: off when piped, when NO_COLOR is set to anything non-empty (no-color.org), or TERM=dumb. */
export function colourAllowed(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** A cli-table3 table for `stream`: plain text (no ANSI escapes) unless colourAllowed(stream). */
export function newTable(stream: NodeJS.WritableStream, head?: string[], env: NodeJS.ProcessEnv = process.env): Table.Table {
  const style = colourAllowed(stream, env) ? {} : { style: { head: [], border: [] } };
  return new Table({ ...(head ? { head } : {}), ...style });
}
