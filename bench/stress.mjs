#!/usr/bin/env node
// Stress: thousands of sandboxes through spawn(), many at a time, mixing namespace kinds, id
// maps, persistence and deliberate failures; checks every outcome and that nothing leaks
// (processes, zombies, mounts, nsfs binds, namespaces, fds, memory). Prints a one-line summary.
// Usage: npm run stress [-- --count N --concurrency N --max-seconds S --seed N --as-user nsboxtest]
// The engine is src/stress.ts (dist/stress.js), shared with src/test/stress.test.ts.
import { main } from '../dist/stress.js';

process.exitCode = await main(process.argv.slice(2));
