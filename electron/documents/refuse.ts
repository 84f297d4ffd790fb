import { ApiError } from "../api/errors";

/** The user's file cannot be attached, said so that they know what to do; nothing of it is stored. */
export function refuse(name: string, problem: string): ApiError {
  return new ApiError("bad_request", `"${name}" cannot be attached: ${problem}`);
}
