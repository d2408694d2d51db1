import { describe, it } from 'node:test';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import plugin from './layering.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser as never } });
const rule = plugin.rules.layering as never;
const at = (p: string): string => `/repo/src/${p}`;

tester.run('kumo/layering', rule, {
  valid: [
    { code: "import { x } from '../store/user-store.js';", filename: at('identity/domain/user-service.ts') },
    { code: "import { x } from '../domain/user-service.js';", filename: at('identity/api/user-routes.ts') },
    { code: "import type { User } from '../domain/models.js';", filename: at('identity/store/user-store.ts') },
    { code: "import { x } from '../lib/errors.js';", filename: at('identity/errors-user.ts') },
    { code: "import { x } from '../identity/identity-server.js';", filename: at('cli/all-in-one.ts') },
    { code: "import { spawn } from 'node:child_process';", filename: at('agent/host/runner.ts') },
    { code: "import { execFile } from 'node:child_process';", filename: at('lib/tools/qemu-img.ts') },
    { code: "import { execFile } from 'child_process';", filename: at('lib/tools/sub/tool.ts') },
  ],
  invalid: [
    { code: "import { x } from '../../identity/domain/a.js';", filename: at('lib/http/app.ts'), errors: 1 },
    { code: "import { x } from '../api/user-routes.js';", filename: at('identity/domain/user-service.ts'), errors: 1 },
    { code: "import { x } from '../domain/user-service.js';", filename: at('identity/store/user-store.ts'), errors: 1 },
    { code: "import { x } from '../store/user-store.js';", filename: at('identity/api/user-routes.ts'), errors: 1 },
    { code: "import { x } from '../../image/domain/a.js';", filename: at('identity/domain/a.ts'), errors: 1 },
    { code: "import { spawn } from 'node:child_process';", filename: at('identity/domain/a.ts'), errors: 1 },
    { code: "import { spawn } from 'node:child_process';", filename: at('lib/http/app.ts'), errors: 1 },
    { code: "import { spawn } from 'node:child_process';", filename: at('lib/tools.ts'), errors: 1 },
    { code: "const cp = await import('node:child_process');", filename: at('image/domain/a.ts'), errors: 1 },
    { code: "import { spawn } from 'node:child_process';", filename: at('agent/compute/a.ts'), errors: 1 },
  ],
});
