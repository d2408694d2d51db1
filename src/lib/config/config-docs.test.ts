import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { renderConfigDocs } from './config-docs.js';

it('docs/configuration.md documents every option as options.ts defines it', () => {
  const onDisk = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(onDisk, renderConfigDocs(), 'run `npm run docs:config` and commit docs/configuration.md');
});
