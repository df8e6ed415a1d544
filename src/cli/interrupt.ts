/**
 * Ctrl-C during a run: the first SIGINT says what was interrupted, runs `onFirst` (which stops
 * the stores), and exits 130; a second exits at once, whatever the first is still doing.
 */
export const EXIT_INTERRUPTED = 130;

/** How long the first interrupt waits for `onFirst` before exiting anyway. */
const GRACE_MS = 3000;

export function onInterrupt(onFirst: () => Promise<void>, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  let interrupted = false;
  const listener = () => {
    if (interrupted) return exit(EXIT_INTERRUPTED);
    interrupted = true;
    const grace = setTimeout(() => exit(EXIT_INTERRUPTED), GRACE_MS);
    void onFirst()
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(grace);
        exit(EXIT_INTERRUPTED);
      });
  };
  process.on('SIGINT', listener);
  return () => process.off('SIGINT', listener);
}
