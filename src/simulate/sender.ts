/** Sends raw OTLP Export requests over gRPC, retrying retryable refusals with backoff (as OTel exporters do). */
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { rawBytes, TRACE_EXPORT_PATH } from '../otlp/trace-service.js';

export interface SendStats {
  requests: number;
  refusals: number;
  failures: number;
}

export class OtlpGrpcSender {
  private readonly client: Client;
  readonly stats: SendStats = { requests: 0, refusals: 0, failures: 0 };

  constructor(private readonly params: { target: string; apiKey?: string; maxAttempts?: number; gzip?: boolean }) {
    this.client = new Client(params.target.replace(/^https?:\/\//, ''), credentials.createInsecure(), {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      ...(params.gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
    });
  }

  /** Sends one request; resolves when accepted, rejects after maxAttempts retryable refusals or a final error. */
  async send(body: Uint8Array): Promise<void> {
    const maxAttempts = this.params.maxAttempts ?? 20;
    let delayMs = 100;
    for (let attempt = 1; ; attempt++) {
      this.stats.requests++;
      const err = await this.once(body);
      if (!err) return;
      const retryable = err.code === status.UNAVAILABLE || err.code === status.RESOURCE_EXHAUSTED;
      if (!retryable || attempt >= maxAttempts) {
        this.stats.failures++;
        throw err;
      }
      this.stats.refusals++;
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(delayMs * 2, 5_000);
    }
  }

  private once(body: Uint8Array): Promise<ServiceError | null> {
    const md = new Metadata();
    if (this.params.apiKey) md.set('authorization', `Bearer ${this.params.apiKey}`);
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        TRACE_EXPORT_PATH,
        rawBytes,
        rawBytes,
        Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        md,
        { deadline: Date.now() + 30_000 },
        (err) => resolve(err ?? null),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
