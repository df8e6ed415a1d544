/**
 * Synthesizes the SST app offline: no AWS call, no credentials. SST skips its bootstrap-stack
 * lookup only under NODE_ENV=test, which is why this sets it; the functions are still bundled
 * exactly as `sst deploy` bundles them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'sst/constructs';

export interface SynthesizedStack {
  stackName: string;
  template: Record<string, unknown>;
  file: string;
}

export interface SynthOptions {
  stage: string;
  root: string;
  region?: string;
  /** A placeholder account: nothing is looked up in it. */
  account?: string;
}

export async function synthesize(options: SynthOptions): Promise<{ app: App; stacks: SynthesizedStack[] }> {
  process.env.NODE_ENV = 'test';
  process.env.SST_TELEMETRY_DISABLED = '1';
  const { initProject, useProject } = await import('sst/project.js');
  await initProject({ stage: options.stage, root: options.root, ...(options.region ? { region: options.region } : {}) });
  const project = useProject();
  const { App } = await import('sst/constructs');
  const app = new App({
    mode: 'deploy',
    stage: project.config.stage,
    name: project.config.name,
    region: project.config.region ?? 'us-east-1',
    account: options.account ?? '123456789012',
  });
  // Loaded the way `sst deploy` loads it: bundled by SST, so a path that only works from the source tree fails here too.
  const { load } = await import('sst/stacks/build.js');
  const [, config] = await load(join(options.root, 'sst.config.ts'), false);
  await config.stacks(app);
  await app.finish();
  const assembly = app.synth();
  const outDir = join(options.root, '.sst', 'synth');
  mkdirSync(outDir, { recursive: true });
  const stacks = assembly.stacks.map((artifact) => {
    const file = join(outDir, `${artifact.stackName}.template.json`);
    writeFileSync(file, `${JSON.stringify(artifact.template, null, 2)}\n`);
    return { stackName: artifact.stackName, template: artifact.template as Record<string, unknown>, file };
  });
  return { app, stacks };
}
