// jsdom has no layout: a ResizeObserver that never reports is enough for the
// virtualized list to render its first rows at their estimated heights.
class NoLayoutResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}

globalThis.ResizeObserver ??= NoLayoutResizeObserver as unknown as typeof ResizeObserver;
