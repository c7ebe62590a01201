/**
 * `deno run -A bench/wake_cost.ts`: what one wake-up of an idle Deno process costs on this machine,
 * by how long it slept. The CPU figures of bench/reply.ts are mostly wake-ups (a model chunk every
 * 4 ms, a write every 50 ms), and on a virtual machine a wake-up after a longer sleep costs more CPU
 * time (caches and TLB refilled, the vCPU resumed); docs/PERFORMANCE.md compares these figures with
 * the Edge Runtime's 2 s per request.
 */
import process from "node:process";

for (const sleepMs of [1, 4, 10, 25, 50, 100, 200]) {
  const wakes = Math.min(400, Math.floor(8_000 / sleepMs));
  const before = process.cpuUsage();
  for (let wake = 0; wake < wakes; wake++) await new Promise((resolve) => setTimeout(resolve, sleepMs));
  const used = process.cpuUsage(before);
  console.log(
    `sleep ${String(sleepMs).padStart(3)} ms, ${wakes} times: ` +
      `${Math.round((used.user + used.system) / wakes)} µs of CPU per wake-up`,
  );
}
