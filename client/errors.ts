/** The one error type of the client: what the API answered, or that it could not be reached. */

/** An error answered by the API (`code`, `status`, `details` as documented), or a network failure (`status` 0). */
export class ConversationStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ConversationStoreError";
  }

  /** On a sequence_conflict, the conversation's current last sequence number. */
  get lastSequence(): number | undefined {
    return (this.details as { last_sequence?: number } | undefined)?.last_sequence;
  }

  /** On a 429 (rate_limited, quota_exceeded), the seconds until the limit resets. */
  get retryAfter(): number | undefined {
    return (this.details as { retry_after?: number } | undefined)?.retry_after;
  }

  /** Worth another attempt with the same request: the network failed, or the service was unavailable. */
  get transient(): boolean {
    return this.status === 0 || this.status === 503;
  }
}
