import { describe, expect, it } from 'vitest';
import { nodeTooOld } from '../../bin/node-version.js';

describe('the CLI Node version check', () => {
  it('names the version needed on Node older than 22, and passes 22 and later', () => {
    expect(nodeTooOld('v20.20.2')).toBe('onceload: needs Node.js 22 or newer; this is Node.js v20.20.2');
    expect(nodeTooOld('v18.0.0')).toMatch(/needs Node\.js 22/);
    expect(nodeTooOld('v22.0.0')).toBeUndefined();
    expect(nodeTooOld('v24.1.0')).toBeUndefined();
  });
});
