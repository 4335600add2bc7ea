/** Operation name and usage role of a span, from whichever convention's kind markers it carries. */
import type { Attributes } from '../model/otlp-values.js';
import type { UsageRole } from '../model/span.js';
import { ALIASES, CALL_OPERATIONS, VERCEL_CALL_SUFFIXES, WRAPPER_OPERATIONS } from './aliases.js';
import { readString } from './read-attr.js';

/** The kind markers read once per span. */
export interface KindMarkers {
  semconvOperation: string | null;
  vercelOperationId: string | null;
  openinferenceKind: string | null;
  traceloopKind: string | null;
  llmRequestType: string | null;
  langfuseType: string | null;
}

/** Single names read as lists (constants: an array literal in the call built one per span). */
const SEMCONV_OPERATION = ['gen_ai.operation.name'] as const;
const VERCEL_OPERATION_ID = ['ai.operationId'] as const;
const LLM_REQUEST_TYPE = ['llm.request.type'] as const;

/** Reads every convention's kind marker. */
export function readMarkers(attrs: Attributes): KindMarkers {
  return {
    semconvOperation: readString(attrs, SEMCONV_OPERATION),
    vercelOperationId: readString(attrs, VERCEL_OPERATION_ID),
    openinferenceKind: readString(attrs, ALIASES.openinferenceKind)?.toUpperCase() ?? null,
    traceloopKind: readString(attrs, ALIASES.traceloopKind)?.toLowerCase() ?? null,
    llmRequestType: readString(attrs, LLM_REQUEST_TYPE)?.toLowerCase() ?? null,
    langfuseType: readString(attrs, ALIASES.langfuseType)?.toLowerCase() ?? null,
  };
}

/** A v6 operation id of a model call (its own function: a closure over `op` in operationOf allocated a context per span). */
function isVercelCall(op: string): boolean {
  for (const suffix of VERCEL_CALL_SUFFIXES) if (op.endsWith(suffix)) return true;
  return false;
}

const OI_OPERATIONS: Record<string, string> = { LLM: 'chat', EMBEDDING: 'embeddings', TOOL: 'execute_tool', AGENT: 'invoke_agent', CHAIN: 'chain', EVALUATOR: 'evaluation', RETRIEVER: 'retrieval', RERANKER: 'rerank', GUARDRAIL: 'guardrail' };
const TRACELOOP_REQUEST: Record<string, string> = { chat: 'chat', completion: 'text_completion', embedding: 'embeddings', rerank: 'rerank' };
const TRACELOOP_KIND: Record<string, string> = { workflow: 'workflow', agent: 'invoke_agent', tool: 'execute_tool', task: 'task' };
const LANGFUSE_TYPE: Record<string, string> = { generation: 'chat', embedding: 'embeddings', tool: 'execute_tool', agent: 'invoke_agent', evaluator: 'evaluation' };

/** The semconv-style operation name (chat, execute_tool, invoke_agent, ...), or null. */
export function operationOf(m: KindMarkers): string | null {
  if (m.semconvOperation !== null) return m.semconvOperation;
  const op = m.vercelOperationId;
  if (op !== null) {
    if (op.endsWith('.doEmbed')) return 'embeddings';
    if (isVercelCall(op)) return 'chat';
    if (op === 'ai.toolCall') return 'execute_tool';
    return op;
  }
  if (m.openinferenceKind !== null) return OI_OPERATIONS[m.openinferenceKind] ?? m.openinferenceKind.toLowerCase();
  if (m.llmRequestType !== null) return TRACELOOP_REQUEST[m.llmRequestType] ?? m.llmRequestType;
  if (m.traceloopKind !== null) return TRACELOOP_KIND[m.traceloopKind] ?? m.traceloopKind;
  if (m.langfuseType !== null) return LANGFUSE_TYPE[m.langfuseType] ?? m.langfuseType;
  return null;
}

/** The rule documented in aliases.ts: model calls count, wrappers carry aggregates, no usage is none. */
export function usageRoleOf(m: KindMarkers, hasUsage: boolean): UsageRole {
  if (!hasUsage) return 'none';
  const op = m.vercelOperationId;
  if (op !== null && op.startsWith('ai.')) return isVercelCall(op) ? 'call' : 'aggregate';
  if (m.semconvOperation !== null) {
    if (CALL_OPERATIONS.includes(m.semconvOperation)) return 'call';
    if (WRAPPER_OPERATIONS.includes(m.semconvOperation)) return 'aggregate';
  }
  if (m.openinferenceKind !== null) return m.openinferenceKind === 'LLM' || m.openinferenceKind === 'EMBEDDING' ? 'call' : 'aggregate';
  if (m.langfuseType !== null) return m.langfuseType === 'generation' || m.langfuseType === 'embedding' ? 'call' : 'aggregate';
  if (m.llmRequestType !== null) return 'call';
  if (m.traceloopKind !== null) return 'aggregate';
  // Usage on a span no convention marks as a wrapper: a custom instrumentation of one model call.
  return 'call';
}
