/** Why an API call failed; each code has one HTTP status, so the transports agree on meaning. */
export const errorStatus = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  /** The target cannot take the operation in its current state (e.g. editing an assistant message). */
  conflict: 409,
  payload_too_large: 413,
  /** No model is loaded (missing file, failed load): the message says why and what to do. */
  model_unavailable: 503,
  /** Hugging Face could not be reached or refused (offline, a missing file): the message says which. */
  upstream_failed: 502,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** The JSON body of every failed HTTP response, and what an IPC call rejects with. */
export interface ErrorBody {
  error: string;
  code: ErrorCode;
}

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return errorStatus[this.code];
  }

  toBody(): ErrorBody {
    return { error: this.message, code: this.code };
  }

  static fromBody(body: unknown, fallbackStatus: number): ApiError {
    const b = body as Partial<ErrorBody> | null;
    const code =
      b && typeof b.code === "string" && b.code in errorStatus
        ? b.code
        : ((Object.keys(errorStatus) as ErrorCode[]).find((c) => errorStatus[c] === fallbackStatus) ?? "internal");
    const message = b && typeof b.error === "string" ? b.error : `Request failed with status ${fallbackStatus}`;
    return new ApiError(code, message);
  }
}
