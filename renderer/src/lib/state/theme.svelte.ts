export type ThemeChoice = "system" | "light" | "dark";

const storageKey = "reprise.theme";

/**
 * Light and dark follow the system (CSS `prefers-color-scheme`) unless the user
 * picks one; the choice is a `data-theme` attribute the stylesheet reads, so no
 * component needs to know about themes.
 */
export class Theme {
  choice = $state<ThemeChoice>("system");

  constructor(private readonly root: HTMLElement, private readonly storage: Storage | null) {
    const saved = storage?.getItem(storageKey);
    if (saved === "light" || saved === "dark") this.choice = saved;
    this.apply();
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    if (choice === "system") this.storage?.removeItem(storageKey);
    else this.storage?.setItem(storageKey, choice);
    this.apply();
  }

  private apply(): void {
    if (this.choice === "system") delete this.root.dataset.theme;
    else this.root.dataset.theme = this.choice;
  }
}
