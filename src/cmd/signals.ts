/** Resolves with the name of the first of `signals` the process receives. */
export function untilSignal(signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handlers = signals.map((s) => {
      const h = (): void => {
        for (const [sig, fn] of handlers) process.off(sig, fn);
        resolve(s);
      };
      return [s, h] as const;
    });
    for (const [sig, fn] of handlers) process.on(sig, fn);
  });
}
