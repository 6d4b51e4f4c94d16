/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type ProxyOptions } from 'vite';

const DEFAULT_API_URL = 'http://127.0.0.1:8080';

// Paths served by the Rust API (skilldex-api). Everything else is the SPA.
const API_PREFIXES = ['/api', '/health', '/metrics'] as const;

function apiProxy(target: string): Record<string, ProxyOptions> {
  // Keys starting with `^` are regular expressions; matching the whole path
  // segment keeps a future SPA route such as `/apis` or `/healthy` out of the proxy.
  return Object.fromEntries(
    API_PREFIXES.map((prefix) => [`^${prefix}(?:/|\\?|$)`, { target, changeOrigin: true }]),
  );
}

export default defineConfig(({ mode }) => {
  // Reads SKILLDEX_* from the environment and from frontend/.env* files.
  const env = loadEnv(mode, process.cwd(), 'SKILLDEX_');
  const apiUrl = env.SKILLDEX_API_URL || DEFAULT_API_URL;
  const proxy = apiProxy(apiUrl);

  return {
    plugins: [react()],
    server: {
      port: 5173,
      strictPort: true,
      proxy,
    },
    preview: {
      port: 4173,
      strictPort: true,
      proxy,
    },
    build: {
      outDir: 'dist',
      sourcemap: true,
    },
    test: {
      environment: 'jsdom',
      setupFiles: ['./src/test/setup.ts'],
      include: ['src/**/*.test.{ts,tsx}'],
      restoreMocks: true,
      unstubGlobals: true,
    },
  };
});
