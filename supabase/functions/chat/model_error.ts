/**
 * What a failed model call may tell the browser. A provider's own error text can name the model's
 * URL or host, echo part of a key, or carry a stack; none of that leaves the function. The browser
 * gets a stable code and a short message built from facts alone (the provider's HTTP status, rate
 * limited or not, worth retrying or not); the function's log gets the whole error.
 */
import { APICallError, RetryError } from "ai";
import { DownloadRefused } from "./download.ts";

/** As stored in a reply's outcome and sent in the stream's `finish` metadata (docs/CHAT.md). */
export type ModelFailure = {
  /** file_refused: a file of the window that the guarded downloader would not fetch (download.ts). */
  code: "model_error" | "file_refused";
  message: string;
  /** The provider's HTTP status, when it answered. */
  provider_status?: number;
  rate_limited: boolean;
  retryable: boolean;
};

/** The error behind the SDK's retries: the last attempt's. */
function lastAttempt(error: unknown): unknown {
  return RetryError.isInstance(error) ? error.lastError : error;
}

/** The downloader's refusal behind an error, however the SDK wrapped it. */
function refusalIn(error: unknown): DownloadRefused | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause instanceof DownloadRefused) return cause;
    cause = lastAttempt(cause) === cause ? cause.cause : lastAttempt(cause);
  }
  return undefined;
}

export function modelFailure(error: unknown): ModelFailure {
  // The refusal's text names only what the user sent (the file's host), so it may reach the browser.
  const refused = refusalIn(error);
  if (refused) {
    return { code: "file_refused", message: refused.message, rate_limited: false, retryable: false };
  }
  const cause = lastAttempt(error);
  if (APICallError.isInstance(cause)) {
    const status = cause.statusCode;
    const rateLimited = status === 429;
    const retryable = cause.isRetryable;
    const message = status === undefined
      ? "the model could not be reached"
      : rateLimited
      ? "the model is rate limited (HTTP 429)"
      : `the model answered HTTP ${status}`;
    return {
      code: "model_error",
      message: `${message}; ${retryable ? "retrying may work" : "retrying will not help"}`,
      ...(status === undefined ? {} : { provider_status: status }),
      rate_limited: rateLimited,
      retryable,
    };
  }
  // fetch's own failure (refused, reset, DNS) when the SDK did not wrap it: its text names the URL.
  if (cause instanceof TypeError) {
    return {
      code: "model_error",
      message: "the model could not be reached; retrying may work",
      rate_limited: false,
      retryable: true,
    };
  }
  return { code: "model_error", message: "the model failed", rate_limited: false, retryable: false };
}

/** The `errorText` of the stream's `error` chunk: the code, then the message. */
export function failureText(failure: ModelFailure): string {
  return `${failure.code}: ${failure.message}`;
}
