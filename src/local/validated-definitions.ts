/**
 * aws-local-stepfunctions validates a definition with asl-validator whenever a state machine is
 * built, compiling its JSON schemas each time (about a second of CPU on a small machine, at every
 * start of the CLI). The data dir keeps the hashes of the definitions the validator accepted,
 * each with the validator's version and options, so an unchanged definition is validated once;
 * any change to it (or to the validator) is validated again before it runs.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

function validatorVersion(): string {
  try {
    const fromEngine = createRequire(createRequire(import.meta.url).resolve('aws-local-stepfunctions'));
    return (fromEngine('asl-validator/package.json') as { version: string }).version;
  } catch {
    // Unknown: the hash then never matches a recorded one made with a known version.
    return `unknown-${Date.now()}`;
  }
}

export function definitionHash(definition: unknown, validationOptions: unknown): string {
  return createHash('sha256').update(JSON.stringify([validatorVersion(), validationOptions, definition])).digest('hex');
}

/** Whether `file` records `hash` as validated (a missing or unreadable file records nothing). */
export function wasValidated(file: string, hash: string): boolean {
  try {
    return readFileSync(file, 'utf8').split('\n').includes(hash);
  } catch {
    return false;
  }
}

export function recordValidated(file: string, hash: string): void {
  appendFileSync(file, `${hash}\n`);
}
