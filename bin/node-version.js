// Plain JavaScript that any Node runs: the CLI checks the version before importing code that needs 22.
export const NODE_MAJOR_NEEDED = 22;

/** The one line to print when `version` (process.version) is too old, else undefined. */
export function nodeTooOld(version) {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major >= NODE_MAJOR_NEEDED) return undefined;
  return `onceload: needs Node.js ${NODE_MAJOR_NEEDED} or newer; this is Node.js ${version}`;
}
