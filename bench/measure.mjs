// Shared by the benchmarks: time one spawn-to-exit, and take medians.

/** Milliseconds from `start()` (which spawns) to the child's exit; rejects on a non-zero exit. */
export function once(start) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = start();
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) reject(new Error(`exit ${code} ${signal ?? ''}`));
      else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
