import { defineConfig } from 'vite';

// The dashboard is served by `kumo up` (src/dashboard/dashboard-server.ts) from dashboard/dist;
// `/api` is that server's proxy to the public APIs, so `vite dev` forwards it to a running cloud.
export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': process.env.KUMO_DASHBOARD_URL ?? 'http://127.0.0.1:8000' } },
});
