import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalStateMachine, localDefinition } from '../../src/local/state-machine.js';
import { definitionHash, wasValidated } from '../../src/local/validated-definitions.js';

const dir = mkdtempSync(join(tmpdir(), 'onceload-validated-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const OPTIONS = { checkArn: true, checkPaths: true };

describe('definitions validated once a data dir', () => {
  it('records the definition the validator accepted, once however often the state machine is built', () => {
    const file = join(dir, 'validated-definitions');
    expect(wasValidated(file, definitionHash(localDefinition(), OPTIONS))).toBe(false);
    createLocalStateMachine({ validatedDefinitions: file });
    createLocalStateMachine({ validatedDefinitions: file });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toEqual([definitionHash(localDefinition(), OPTIONS)]);
    expect(wasValidated(file, definitionHash(localDefinition(), OPTIONS))).toBe(true);
  });

  it('a changed definition, or other options, is not the one recorded: it is validated again', () => {
    const file = join(dir, 'validated-definitions');
    const changed = localDefinition();
    (changed.States as Record<string, unknown>)['Extra'] = { Type: 'Pass', End: true };
    expect(wasValidated(file, definitionHash(changed, OPTIONS))).toBe(false);
    expect(wasValidated(file, definitionHash(localDefinition(), { ...OPTIONS, checkPaths: false }))).toBe(false);
  });
});
