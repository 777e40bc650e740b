// The slice of anywidget's AFM model the widgets use, typed by widget state.

export interface Model<S> {
  get<K extends keyof S & string>(key: K): S[K];
  set<K extends keyof S & string>(key: K, value: S[K]): void;
  on(event: string, callback: () => void): void;
  off(event?: string | null, callback?: (() => void) | null): void;
  save_changes(): void;
}

export interface RenderProps<S> {
  model: Model<S>;
  el: HTMLElement;
}

/** Listen to `change:<key>` for each key; the returned function removes the listeners. */
export function onChange<S>(model: Model<S>, keys: (keyof S & string)[], callback: () => void): () => void {
  const events = keys.map((key) => `change:${key}`);
  for (const event of events) model.on(event, callback);
  return () => {
    for (const event of events) model.off(event, callback);
  };
}

/** Set a value and send it to the kernel. */
export function commit<S, K extends keyof S & string>(model: Model<S>, key: K, value: S[K]): void {
  model.set(key, value);
  model.save_changes();
}

/** Collects cleanups so a widget's `render` can return one function that runs them all. */
export class Disposer {
  private readonly tasks: (() => void)[] = [];

  add(task: () => void): void {
    this.tasks.push(task);
  }

  listen<E extends Event>(
    target: EventTarget,
    type: string,
    handler: (event: E) => void,
    options?: AddEventListenerOptions,
  ): void {
    const listener = handler as EventListener;
    target.addEventListener(type, listener, options);
    this.add(() => target.removeEventListener(type, listener, options));
  }

  dispose(): void {
    // Reverse order: later resources may depend on earlier ones.
    for (const task of this.tasks.splice(0).reverse()) {
      try {
        task();
      } catch (error) {
        console.warn("labtrack: cleanup failed", error);
      }
    }
  }
}
