import os from "node:os";
import path from "node:path";

const appName = "Reprise";

/**
 * Where Reprise keeps the user's data (database, settings). Electron's
 * `app.getPath("userData")` resolves to the same folder, so the desktop app and
 * the headless server share one store. `REPRISE_DATA_DIR` overrides it.
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REPRISE_DATA_DIR) return path.resolve(env.REPRISE_DATA_DIR);
  const home = os.homedir();
  switch (process.platform) {
    case "win32":
      return path.join(env.APPDATA ?? path.join(home, "AppData", "Roaming"), appName);
    case "darwin":
      return path.join(home, "Library", "Application Support", appName);
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, ".config"), appName);
  }
}

/**
 * Per-user cache for downloaded models: outside the repository and outside the
 * user's data, because a model can always be fetched again.
 * `REPRISE_CACHE_DIR` overrides it.
 */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REPRISE_CACHE_DIR) return path.resolve(env.REPRISE_CACHE_DIR, "models");
  const home = os.homedir();
  switch (process.platform) {
    case "win32":
      return path.join(env.LOCALAPPDATA ?? path.join(home, "AppData", "Local"), appName, "Cache", "models");
    case "darwin":
      return path.join(home, "Library", "Caches", appName, "models");
    default:
      return path.join(env.XDG_CACHE_HOME ?? path.join(home, ".cache"), "reprise", "models");
  }
}
