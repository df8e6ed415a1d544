/**
 * The project's root directory, for the files the code reads or starts beside itself: the state
 * machine definition, the stores' process scripts, the console's page, package.json. It is one
 * level above this module and one level above the CLI's bundle (dist/onceload.mjs) alike, so the
 * sources run through tsx and the bundle find the same files.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A path inside the project, from its parts (`projectPath('src', 'local', 'x.mjs')`). */
export const projectPath = (...parts: string[]): string => join(PROJECT_ROOT, ...parts);
