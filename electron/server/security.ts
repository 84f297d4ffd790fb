import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * The names this server answers to. A request whose Host is anything else was sent to another name
 * that resolves here: a DNS-rebinding page in a browser, which must not reach the API.
 */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host?.toLowerCase();
  return host !== undefined && allowedHosts(port).includes(host);
}

/**
 * Browsers send Origin with cross-site requests (and with same-origin POSTs); only the UI served here
 * may call the API. Tools that are not browsers send none, and the token still guards them.
 */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return allowedHosts(port).some((host) => origin.toLowerCase() === `http://${host}`);
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Compares the bearer token in constant time (over digests, so the lengths are equal too). */
export function tokenAllowed(req: IncomingMessage, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return match !== null && timingSafeEqual(digest(match[1] as string), digest(token));
}
