/** Renders the simulation report as a table for people. */
import { newTable } from '../commands/table.js';
import type { SimulateResult } from './run.js';

export function formatReport(result: SimulateResult, out: NodeJS.WritableStream = process.stdout): string {
  const { report } = result;
  // Recall: for a detector's label, the share of its sessions kept with that detector's own reason.
  const table = newTable(out, ['label', 'sent', 'decided', 'kept', 'kept %', 'recall %']);
  for (const l of report.lines) table.push([l.label, l.sent, l.decided, l.kept, (l.keptShare * 100).toFixed(1), l.recall === undefined ? '' : (l.recall * 100).toFixed(1)]);
  const diff = report.costAccountedUsd - report.costSentUsd;
  const lines = [
    `run ${result.runId}: ${report.sessionsSent} sessions sent, ${report.sessionsDecided} decided`,
    table.toString(),
    `cost sent      $${report.costSentUsd.toFixed(6)}`,
    `cost accounted $${report.costAccountedUsd.toFixed(6)} (difference ${diff.toExponential(2)} USD)`,
    `requests ${result.sendStats.requests}, retryable refusals ${result.sendStats.refusals}, failures ${result.sendStats.failures}`,
  ];
  if (report.missing.length > 0) lines.push(`not decided yet: ${report.missing.length} (e.g. ${report.missing.slice(0, 3).join(', ')})`);
  return lines.join('\n');
}
