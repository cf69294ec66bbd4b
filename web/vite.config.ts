// Vite config for the web app (portal + admin console). `npm run build:web` builds into dist/web;
// `npx vite web` is the dev server, proxying the APIs to a running node's admin port.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const adminTarget = process.env.PORTCULLIS_ADMIN_URL ?? 'http://127.0.0.1:8081';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The polyfill would be an inline script, which the Content-Security-Policy forbids.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    // .vite/manifest.json: which chunks each entry loads (the bundle budget test reads it; not served).
    manifest: true,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/admin': adminTarget,
      '/portal/api': adminTarget,
      '/health': adminTarget,
      '/ready': adminTarget,
    },
  },
});
