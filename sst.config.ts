/**
 * The SST v2 app: `npx sst deploy --stage <stage>`. What differs per stage lives in
 * stacks/stage-config.ts.
 */
import type { SSTConfig } from 'sst';
import { APP_NAME } from './src/naming.js';
import { Pipeline } from './stacks/Pipeline.js';

export default {
  config(input) {
    return { name: APP_NAME, region: input.region ?? process.env.AWS_REGION ?? 'us-east-1' };
  },
  stacks(app) {
    app.stack(Pipeline);
  },
} satisfies SSTConfig;
