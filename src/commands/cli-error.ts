/** An expected failure of a command (nothing listening, an incomplete report): one line on stderr, no stack, an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    /** The process exit code: 1 = could not run, 2 = ran but the result is incomplete. */
    readonly exitCode: 1 | 2 = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
