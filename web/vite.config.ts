// Builds the web pages into the Go package that embeds them
// (server/webapp/dist); the hub serves the files under /app/ and the pages
// under /portal/ and /dashboard/.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

export default defineConfig({
  base: '/app/',
  plugins: [preact()],
  build: {
    outDir: '../server/webapp/dist',
    emptyOutDir: true,
    sourcemap: false,
    // One module per page area keeps the first load small.
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev`: the hub on 127.0.0.1:8080 answers the API and sign-in.
    proxy: { '/graphql': { target: 'http://127.0.0.1:8080', ws: true }, '/dev': 'http://127.0.0.1:8080', '/.well-known': 'http://127.0.0.1:8080' },
  },
});
