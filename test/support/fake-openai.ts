/**
 * A local OpenAI-compatible server (POST /v1/chat/completions) answering with fixed usage, for client
 * tests. `stream: true` answers server-sent chunks; the usage chunk comes only when the request asks for
 * it with `stream_options.include_usage`, as the real API does. A script may answer the n-th request with an error
 * status (429 twice, then 200) or other usage (cached tokens that stop).
 */
import { createServer, type ServerResponse, type Server } from 'node:http';

export interface FakeOpenAI {
  baseURL: string;
  requests: number;
  /** Parsed request bodies, in arrival order. */
  bodies: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Usage in every answer: 120 prompt tokens of which 100 cached; 40 completion tokens of which 12 reasoning. */
export const FAKE_USAGE = { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160, prompt_tokens_details: { cached_tokens: 100 }, completion_tokens_details: { reasoning_tokens: 12 } };

/** OpenAI's usage object as the fake answers it. */
export type FakeUsage = typeof FAKE_USAGE;

/** What a scripted fake answers to its n-th request (1-based): an HTTP error status, or other usage. */
export interface FakeAnswer {
  /** Answer this status (429, 503, ...) with an OpenAI-style error body and `retry-after-ms: 10`. */
  status?: number;
  usage?: FakeUsage;
}

function answerError(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  // The openai client honours retry-after-ms, so its retries wait 10 ms instead of its default backoff.
  res.setHeader('retry-after-ms', '10');
  res.end(JSON.stringify({ error: { message: status === 429 ? 'Rate limit reached for requests' : 'The server is overloaded', type: 'requests', code: status === 429 ? 'rate_limit_exceeded' : null } }));
}

function answerJson(res: ServerResponse, id: string, model: string, usage: FakeUsage = FAKE_USAGE): void {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      id,
      object: 'chat.completion',
      created: 1,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'hello back' }, finish_reason: 'stop' }],
      usage,
    }),
  );
}

function answerStream(res: ServerResponse, id: string, model: string, includeUsage: boolean): void {
  res.setHeader('content-type', 'text/event-stream');
  const chunk = (choices: unknown[], usage: unknown = null) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model, choices, usage })}\n\n`;
  res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: { content: 'hello ' }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: { content: 'back' }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  if (includeUsage) res.write(chunk([], FAKE_USAGE));
  res.end('data: [DONE]\n\n');
}

/**
 * Starts the fake server on a free localhost port; `model` is the dated model name it answers with; `answers` is the
 * usage of every non-streamed answer, or a script saying what the n-th request gets.
 */
export async function startFakeOpenAI(model = 'gpt-4o-mini-2024-07-18', answers: FakeUsage | ((n: number) => FakeAnswer) = FAKE_USAGE): Promise<FakeOpenAI> {
  const script = typeof answers === 'function' ? answers : (): FakeAnswer => ({ usage: answers });
  const state = { requests: 0, bodies: [] as Record<string, unknown>[] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        res.statusCode = 400;
        res.end('{"error":{"message":"invalid JSON body"}}');
        return;
      }
      state.bodies.push(body);
      const id = `chatcmpl-${state.requests}`;
      const scripted = script?.(state.requests) ?? {};
      if (scripted.status !== undefined) {
        answerError(res, scripted.status);
      } else if (body.stream === true) {
        const opts = body.stream_options as { include_usage?: boolean } | undefined;
        answerStream(res, id, model, opts?.include_usage === true);
      } else {
        answerJson(res, id, model, scripted.usage);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    bodies: state.bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
