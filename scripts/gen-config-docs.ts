// Writes docs/configuration.md from src/lib/config/options.ts (run: npm run docs:config).
import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../src/lib/config/config-docs.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDocs());
console.log('wrote docs/configuration.md');
