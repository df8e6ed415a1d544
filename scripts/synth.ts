/**
 * `npm run synth [-- --stage <stage>]`: writes each stack's CloudFormation template to
 * .sst/synth/<stack name>.template.json, with no AWS call and no credentials.
 */
import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { STAGE_NAME } from '../src/naming.js';
import { synthesize } from '../stacks/synthesize.js';

const flags = new Command('synth')
  .option('--stage <stage>', 'the stage to synthesize', 'dev')
  .option('--region <region>', 'the region to synthesize for')
  .parse()
  .opts<{ stage: string; region?: string }>();

if (!STAGE_NAME.test(flags.stage)) {
  console.error(`synth: ${JSON.stringify(flags.stage)} is not a stage name: use lowercase letters, digits and -, starting with a letter`);
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const { stacks } = await synthesize({ stage: flags.stage, root, ...(flags.region ? { region: flags.region } : {}) });
for (const stack of stacks) console.log(`${stack.stackName}: ${stack.file}`);
