// Enforces the architecture of docs/architecture.md on imports:
//   lib imports no service; within a service api → domain → store (store may only
//   `import type` domain models); services never import each other (cli composes them);
//   only agent/host (root helpers on hypervisors) and lib/tools (unprivileged helper tools
//   for API services, e.g. qemu-img) may spawn processes.
import path from 'node:path';

const SERVICES = ['identity', 'image', 'compute', 'placement', 'network', 'volume', 'object', 'orchestration', 'dashboard', 'agent'];
const LAYERS = ['api', 'domain', 'store'];

/** { area: 'lib'|'cli'|<service>, layer?: 'api'|'domain'|'store'|... } of a file under src/. */
function locate(file) {
  const parts = file.split(path.sep);
  const i = parts.lastIndexOf('src');
  if (i < 0) return undefined;
  const area = parts[i + 1];
  const layer = parts[i + 2];
  return { area, layer: LAYERS.includes(layer) ? layer : undefined, rest: parts.slice(i + 2).join('/') };
}

function maySpawn(from) {
  return (from.area === 'agent' && from.rest.startsWith('host/')) || (from.area === 'lib' && from.rest.startsWith('tools/'));
}

function check(context, node, source, typeOnly) {
  const filename = context.filename;
  const from = locate(filename);
  if (!from) return;
  if (['child_process', 'node:child_process'].includes(source) && !maySpawn(from)) {
    context.report({ node, message: 'Only src/agent/host and src/lib/tools may spawn processes.' });
    return;
  }
  if (!source.startsWith('.')) return;
  const to = locate(path.resolve(path.dirname(filename), source));
  if (!to) return;
  if (from.area === 'lib' && to.area !== 'lib') {
    context.report({ node, message: `src/lib must not import from src/${to.area}.` });
    return;
  }
  if (SERVICES.includes(from.area) && SERVICES.includes(to.area) && from.area !== to.area) {
    context.report({ node, message: `Service ${from.area} must not import service ${to.area}: talk over its REST API or the bus.` });
    return;
  }
  if (from.area !== to.area || !from.layer || !to.layer) return;
  const rank = { api: 0, domain: 1, store: 2 };
  if (rank[to.layer] < rank[from.layer]) {
    const modelTypes = typeOnly && from.layer === 'store' && to.layer === 'domain' && to.rest === 'domain/models.js';
    if (!modelTypes) context.report({ node, message: `${from.layer} must not import ${to.layer} (layers: api → domain → store).` });
  }
  if (from.layer === 'api' && to.layer === 'store' && !typeOnly) {
    context.report({ node, message: 'api must not import store: go through the domain layer.' });
  }
}

export default {
  rules: {
    layering: {
      meta: { type: 'problem', docs: { description: 'Kumo import layering' }, schema: [] },
      create(context) {
        return {
          ImportDeclaration(node) {
            const typeOnly =
              node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'));
            check(context, node, node.source.value, typeOnly);
          },
          ImportExpression(node) {
            if (node.source.type === 'Literal' && typeof node.source.value === 'string') check(context, node, node.source.value, false);
          },
          ExportNamedDeclaration(node) {
            if (node.source) check(context, node, node.source.value, node.exportKind === 'type');
          },
        };
      },
    },
  },
};
