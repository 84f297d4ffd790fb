import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * A new random access token for this run, written to `<dataDir>/access-token` readable by the user
 * only (other local users must not be able to read it and call the API as them).
 */
export function createAccessToken(dataDir: string): { token: string; file: string } {
  const token = randomBytes(32).toString("base64url");
  const file = path.join(dataDir, "access-token");
  fs.mkdirSync(dataDir, { recursive: true });
  // Removed first: writeFile keeps the mode of an existing file, and an old file may be wider.
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return { token, file };
}
