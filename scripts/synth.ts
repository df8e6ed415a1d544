/**
 * `npm run synth [-- --stage <stage>]`: writes each stack's CloudFormation template to
 * .sst/synth/<stack name>.template.json, with no AWS call and no credentials.
 */
import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { assertStageName } from '../src/naming.js';
import { synthesize } from '../stacks/synthesize.js';

const flags = new Command('synth')
  .option('--stage <stage>', 'the stage to synthesize', 'dev')
  .option('--region <region>', 'the region to synthesize for')
  .parse()
  .opts<{ stage: string; region?: string }>();

try {
  assertStageName(flags.stage);
} catch (error) {
  console.error(`synth: ${(error as Error).message}`);
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const { stacks } = await synthesize({ stage: flags.stage, root, ...(flags.region ? { region: flags.region } : {}) });
for (const stack of stacks) console.log(`${stack.stackName}: ${stack.file}`);
