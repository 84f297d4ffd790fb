import type { ModelStatus, RepriseApi, Settings, UpdateSettingsRequest } from "../../../../electron/api/contract";

const pollMs = 1000;

/** The model's state and the app's generation settings. */
export class ModelState {
  status = $state<ModelStatus | null>(null);
  settings = $state<Settings | null>(null);
  error = $state<string | null>(null);
  private poll: ReturnType<typeof setTimeout> | undefined;

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

  async update(change: UpdateSettingsRequest): Promise<void> {
    try {
      this.settings = await this.api.updateSettings(change);
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    }
  }
}
