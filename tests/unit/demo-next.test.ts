import { describe, expect, it } from 'vitest';
import { demoNextSteps } from '../../src/cli/demo-next.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_DATA_DIR } from '../../src/local/runtime.js';

describe("the demo's closing hint", () => {
  it('queries the first configured table, whatever the tables are', () => {
    const config = loadConfig({ ONCELOAD_CHDB_PATH: '/tmp/chdb', ONCELOAD_TABLES: JSON.stringify({ tables: { invoices: { columns: [{ name: 'id', type: 'String' }, { name: 'last_updated', type: 'DateTime64(3)' }] } } }) });
    const text = demoNextSteps('/tmp/data', DEFAULT_DATA_DIR, config);
    expect(text).toContain('"SELECT tenant_id, count() AS rows FROM invoices FINAL GROUP BY tenant_id ORDER BY tenant_id"');
    expect(text).not.toContain('companies');
  });

  it('says how to open the console, with the data dir when it is not the default', () => {
    const text = demoNextSteps('/tmp/data', '/tmp/data', loadConfig({ ONCELOAD_CHDB_PATH: '/tmp/chdb' }));
    expect(text).toContain('  in a browser   onceload console --data-dir "/tmp/data", then open http://127.0.0.1:7654/');
    expect(text).toContain('  the load log   onceload log --data-dir "/tmp/data" --tenant acme');
  });

  it('queries companies for the canonical tables', () => {
    expect(demoNextSteps('/tmp/data', DEFAULT_DATA_DIR, loadConfig({ ONCELOAD_CHDB_PATH: '/tmp/chdb' }))).toContain('FROM companies FINAL');
  });
});
