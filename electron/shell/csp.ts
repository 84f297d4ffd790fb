/**
 * The renderer's Content Security Policy, sent as a response header by main
 * (desktop) and by the headless server (browser). `renderer/index.html` carries
 * it in a meta tag too, as `metaContentSecurityPolicy` (a shell test keeps the
 * two equal), so the page is covered even where no header can be set.
 *
 * Scripts only from the app itself, no eval, no plugins, no frames, no forms,
 * and network access only to the app's own origin (the headless server in a
 * browser; nothing at all under file:// in the desktop app). Styles allow
 * inline attributes because Svelte positions virtualized rows with them; a
 * style cannot run script, and model output never carries one (it is
 * sanitized to a fixed list of tags and attributes).
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "manifest-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The same policy less frame-ancestors, which browsers ignore (and complain about) in a meta tag. */
export const metaContentSecurityPolicy = contentSecurityPolicy
  .split("; ")
  .filter((directive) => !directive.startsWith("frame-ancestors"))
  .join("; ");
