#!/usr/bin/env node
// The compiled CLI; `npm run build` (run by scripts/setup.sh) produces dist/.
import('../dist/cli/main.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/cli/main.js')) {
    process.stderr.write('kumo: not built yet; run `npm run build` (or scripts/setup.sh) first\n');
    process.exit(1);
  }
  throw e;
});
