/** A one-line progress bar on stderr (only when stderr is a terminal; otherwise a line every 10%). */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  let lastDecile = -1;
  return (done, total) => {
    const share = total === 0 ? 1 : done / total;
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round(share * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor(share * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      stream.write(`${label} ${done}/${total}\n`);
    }
  };
}

/** A line while `simulate` waits for decisions: rewritten in place on a terminal, a new line when the count moves otherwise. */
export function waitProgress(stream: NodeJS.WriteStream = process.stderr): (decided: number, total: number, waitedMs: number, timeoutMs: number) => void {
  let last = -1;
  return (decided, total, waitedMs, timeoutMs) => {
    const line = `waiting for decisions: ${decided}/${total} sessions decided (${Math.round(waitedMs / 1000)} s of ${Math.round(timeoutMs / 1000)} s)`;
    if (stream.isTTY) {
      stream.write(`\r${line}${decided >= total ? '\n' : ''}`);
      return;
    }
    if (decided === last) return;
    last = decided;
    stream.write(line + '\n');
  };
}
