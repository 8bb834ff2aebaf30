// Build of the web UI: `vite build --config ui/vite.config.ts` writes dist/ui, which the server
// serves (src/server/ui). `vite --config ui/vite.config.ts` runs a dev server that proxies the
// APIs to a Kanshi at KANSHI_URL (default http://127.0.0.1:9800).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.KANSHI_URL ?? 'http://127.0.0.1:9800';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The editor and the chart library are only loaded by the pages that use them.
    chunkSizeWarningLimit: 700,
    // The timings report is for plugin authors; `npm start` should print only what matters.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: {
    proxy: {
      '/api': target,
      '/metrics': target,
    },
  },
});
