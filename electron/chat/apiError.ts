import { ImportError, InvalidArgumentError, InvalidStateError, NotFoundError } from "../../db/index";
import { ApiError } from "../api/errors";
import { ValidationError } from "../api/schema";
import { ModelFileError } from "../engine/modelFile";

/** Any error from the service as the API reports it; unexpected ones are logged and reported as internal. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ValidationError) return new ApiError("bad_request", `Invalid ${error.message}`);
  if (error instanceof NotFoundError) return new ApiError("not_found", error.message);
  if (error instanceof InvalidStateError) return new ApiError("conflict", error.message);
  if (error instanceof ImportError || error instanceof InvalidArgumentError) return new ApiError("bad_request", error.message);
  if (error instanceof ModelFileError) return new ApiError("model_unavailable", error.message);
  console.error(error);
  return new ApiError("internal", `Internal error: ${(error as Error)?.message ?? String(error)}`);
}
