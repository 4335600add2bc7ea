/**
 * THE alias table: every attribute name agenttail reads, per concept, across GenAI semconv (current and
 * deprecated), OpenInference, OpenLLMetry (Traceloop), the Vercel AI SDK (v6 `ai.*`, v7 `@ai-sdk/otel`)
 * and Langfuse. Data only; src/conventions/normalize.ts applies it. Within a list the FIRST present
 * name wins (current names before deprecated ones).
 *
 * Rules applied by the normalizer (kept here so the table and its meaning stay together):
 * - Input tokens are INCLUSIVE of cache read and cache write (semconv meaning). Every convention below
 *   reports inclusive input, except: Langfuse `usage_details.input` (exclusive: converted by adding the
 *   cache parts), the AI SDK's `inputTokenDetails.noCacheTokens` (used only when no input total is
 *   present: input = noCache + cacheRead + cacheWrite), and instrumentations in EXCLUSIVE_INPUT_SCOPES,
 *   which copy Anthropic's exclusive `input_tokens` into `gen_ai.usage.input_tokens` (converted the same
 *   way). Parts larger than totals are recorded in `usageViolations`, never corrected.
 * - Reasoning tokens are part of output tokens.
 * - Usage is counted once. `usageRole` is 'call' for the span of an actual model call: v6
 *   `ai.*.doGenerate` / `ai.*.doStream` / `ai.*.doEmbed`, semconv (and v7) operations in CALL_OPERATIONS,
 *   OpenInference kinds LLM/EMBEDDING, OpenLLMetry spans with `llm.request.type`, Langfuse
 *   `generation`/`embedding` observations, and any other span carrying usage that is not a wrapper.
 *   It is 'aggregate' for wrappers carrying sums of their children: v6 `ai.generateText` /
 *   `ai.streamText` / `ai.generateObject` / ..., semconv operations in WRAPPER_OPERATIONS (v7
 *   `invoke_agent`, `agent_step`), OpenInference AGENT/CHAIN (or any non-LLM kind) with counts,
 *   Traceloop workflow/agent/task spans with usage, Langfuse non-generation observations with usage.
 *   'none' when the span reports no usage.
 * - Session and user ids are read from span attributes first, then resource attributes.
 */

/**
 * Default session-alias precedence when several aliases on ONE span disagree. The explicit,
 * user-chosen ids of observability tools come first (Langfuse, Traceloop association properties, AI SDK
 * metadata/context), because instrumentations fill `gen_ai.conversation.id` from the provider's own
 * conversation/thread id, which can differ from the app's session; OpenInference `session.id` sits
 * between. Override with `conventions.sessionPrecedence`.
 */
export const SESSION_ALIASES: readonly string[] = [
  'langfuse.session.id',
  'traceloop.association.properties.session_id',
  'ai.telemetry.metadata.sessionId',
  'ai.settings.context.sessionId',
  'session.id',
  'gen_ai.conversation.id',
];

/** Attribute aliases per concept; first present wins. */
export const ALIASES = {
  user: [
    'langfuse.user.id',
    'traceloop.association.properties.user_id',
    'ai.telemetry.metadata.userId',
    'ai.settings.context.userId',
    'user.id',
    'enduser.id',
  ],
  operation: ['gen_ai.operation.name', 'ai.operationId', 'llm.request.type'],
  provider: ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system', 'ai.model.provider'],
  requestModel: [
    'gen_ai.request.model',
    'llm.request.model_name',
    'ai.model.id',
    'langfuse.observation.model.name',
    'llm.model_name',
    'llm.request.model',
  ],
  responseModel: ['gen_ai.response.model', 'llm.response.model_name', 'llm.model_name', 'ai.response.model', 'llm.response.model'],
  agentName: ['gen_ai.agent.name', 'agent.name', 'ai.telemetry.functionId'],
  agentId: ['gen_ai.agent.id'],
  toolName: ['gen_ai.tool.name', 'tool.name', 'ai.toolCall.name'],
  toolCallId: ['gen_ai.tool.call.id', 'tool_call.id', 'tool.id', 'ai.toolCall.id'],
  toolType: ['gen_ai.tool.type'],
  errorType: ['error.type'],
  /** A tool call's arguments (JSON text); OpenInference TOOL spans carry them as `input.value` (read on tool spans only). */
  toolArgs: ['gen_ai.tool.call.arguments', 'ai.toolCall.args', 'tool.parameters', 'input.value'],
  /** HTTP response status of a client span (current, then pre-1.23 semconv). */
  httpStatus: ['http.response.status_code', 'http.status_code'],
  responseId: ['gen_ai.response.id', 'ai.response.id'],
  /** Inclusive input totals. */
  inputTokens: [
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.prompt_tokens',
    'llm.token_count.prompt',
    'llm.usage.prompt_tokens',
    'ai.usage.inputTokens',
    'ai.usage.promptTokens',
  ],
  outputTokens: [
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'llm.token_count.completion',
    'llm.usage.completion_tokens',
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
  ],
  cacheReadTokens: [
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'llm.token_count.prompt_details.cache_read',
    'llm.usage.cache_read_input_tokens',
    'ai.usage.inputTokenDetails.cacheReadTokens',
    'ai.usage.cachedInputTokens',
  ],
  cacheWriteTokens: [
    // semantic-conventions-genai renamed cache_creation to cache_write (its #440); both are in use (docs/clients.md).
    'gen_ai.usage.cache_write.input_tokens',
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    'llm.token_count.prompt_details.cache_write',
    'llm.usage.cache_creation_input_tokens',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
  ],
  reasoningTokens: [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens',
    'llm.token_count.completion_details.reasoning',
    'llm.usage.reasoning_tokens',
    'ai.usage.outputTokenDetails.reasoningTokens',
    'ai.usage.reasoningTokens',
  ],
  /** Input EXCLUSIVE of cache (AI SDK); used only when no inclusive total is present. */
  noCacheInputTokens: ['ai.usage.inputTokenDetails.noCacheTokens'],
  /** A cost the client computed itself, USD. */
  reportedCostUsd: ['llm.cost.total', 'gen_ai.usage.cost'],
  /** Parts summed when no total cost is reported. */
  reportedCostPartsUsd: ['llm.cost.prompt', 'llm.cost.completion'],
  openinferenceKind: ['openinference.span.kind'],
  traceloopKind: ['traceloop.span.kind'],
  traceloopEntity: ['traceloop.entity.name'],
  langfuseType: ['langfuse.observation.type'],
  langfuseUsageJson: ['langfuse.observation.usage_details'],
  langfuseCostJson: ['langfuse.observation.cost_details'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Instrumentation scopes whose `gen_ai.usage.input_tokens` is Anthropic's input EXCLUSIVE of cache
 * (OpenLLMetry's Anthropic instrumentation sets it from `usage.input_tokens` and the cache parts beside it).
 */
export const EXCLUSIVE_INPUT_SCOPES: readonly string[] = ['@traceloop/instrumentation-anthropic'];

/** Keys of Langfuse `usage_details` JSON (input there is EXCLUSIVE of cache). */
export const LANGFUSE_USAGE_KEYS = {
  input: ['input', 'prompt_tokens', 'input_tokens'],
  output: ['output', 'completion_tokens', 'output_tokens'],
  cacheRead: ['input_cached_tokens', 'cache_read_input_tokens', 'input_cache_read'],
  cacheWrite: ['input_cache_creation', 'cache_creation_input_tokens', 'input_cache_write'],
  /** Summed with `cacheWrite` (Anthropic 5-minute and 1-hour cache writes). */
  cacheWriteSplit: ['input_cache_creation_5m', 'input_cache_creation_1h'],
  reasoning: ['output_reasoning_tokens', 'reasoning_tokens', 'output_reasoning'],
} as const;

/** Semconv `gen_ai.operation.name` values (and v7 span operations) that are actual model calls. */
export const CALL_OPERATIONS: readonly string[] = ['chat', 'text_completion', 'embeddings', 'generate_content', 'completion', 'embedding'];

/**
 * Operations of wrappers whose usage is a sum of their children (v7 `invoke_agent`, `agent_step`).
 * `handle_conversation_turn` is semantic-conventions-genai's new name for a framework runner's `invoke_workflow` (its #571).
 */
export const WRAPPER_OPERATIONS: readonly string[] = ['invoke_agent', 'create_agent', 'agent_step', 'workflow', 'invoke_workflow', 'handle_conversation_turn', 'execute_tool'];

/** Operation names that mark an evaluator span. */
export const EVAL_OPERATIONS: readonly string[] = ['evaluation', 'evaluate'];

/** v6 `ai.operationId` suffixes of actual model calls. */
export const VERCEL_CALL_SUFFIXES: readonly string[] = ['.doGenerate', '.doStream', '.doEmbed'];

/** Which attribute-name prefixes identify which convention (for `GenAiInfo.conventions`). */
export const CONVENTION_PREFIXES: readonly { convention: string; prefixes: readonly string[] }[] = [
  { convention: 'genai', prefixes: ['gen_ai.'] },
  { convention: 'openinference', prefixes: ['openinference.', 'llm.token_count.', 'llm.model_name', 'llm.provider', 'llm.cost.', 'evaluations.'] },
  { convention: 'openllmetry', prefixes: ['traceloop.', 'llm.request.type', 'llm.usage.'] },
  { convention: 'vercel', prefixes: ['ai.'] },
  { convention: 'langfuse', prefixes: ['langfuse.'] },
];
