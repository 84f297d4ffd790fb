import type { ModelStatus, RepriseApi, Settings, UpdateSettingsRequest } from "../../../../electron/api/contract";

const pollMs = 1000;

/** The model's state and the app's generation settings. */
export class ModelState {
  status = $state<ModelStatus | null>(null);
  settings = $state<Settings | null>(null);
  error = $state<string | null>(null);
  private poll: ReturnType<typeof setTimeout> | undefined;
  /** Number of the latest settings change, so an older change's late answer does not undo a newer one. */
  private changes = 0;

  constructor(private readonly api: RepriseApi) {}

  get ready(): boolean {
    return this.status?.state === "ready";
  }

  async refresh(): Promise<void> {
    clearTimeout(this.poll);
    try {
      const [status, settings] = await Promise.all([this.api.modelStatus({}), this.api.getSettings({})]);
      this.status = status;
      this.settings = settings;
      this.error = null;
      // A model loads in seconds; watching it is simpler than a second event channel.
      if (status.state === "loading") this.poll = setTimeout(() => void this.refresh(), pollMs);
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  async select(path: string): Promise<void> {
    this.error = null;
    if (this.status) this.status = { ...this.status, state: "loading", path, message: null };
    try {
      this.status = await this.api.selectModel({ path });
    } catch (error) {
      this.error = (error as Error).message;
      await this.refresh();
    }
  }

  /**
   * Shows the change at once and then takes the server's answer, unless a newer
   * change was made meanwhile: a form field bound to the settings would otherwise
   * be reset to an older value under the user's typing when a late answer lands.
   */
  async update(change: UpdateSettingsRequest): Promise<void> {
    const number = ++this.changes;
    if (this.settings) this.settings = { ...this.settings, ...change };
    try {
      const settings = await this.api.updateSettings(change);
      if (number === this.changes) this.settings = settings;
      this.error = null;
    } catch (error) {
      if (number === this.changes) await this.refresh();
      this.error = (error as Error).message;
    }
  }
}
