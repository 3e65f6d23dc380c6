/** `--cpu-prof`: the stack's V8 CPU profile, summarised per run (`./cpu-profile`) and attached to the runs for the report. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { summariseCpuProfile, type CpuProfile } from './cpu-profile';
import { fmt, pct } from './format';
import type { RunResult } from './traffic';

/**
 * `--cpu-prof`: attaches to each local-stack run where the stack's main thread
 * spent that run's send + drain phase. V8 names a profile
 * `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`, thread 0 being the main
 * one; the other (tsx's loader thread) is left out: it compiles modules, which
 * happens almost only at startup.
 */
export async function summariseStackProfile(dir: string, pid: number, runs: RunResult[], root: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(pid));
  process.stdout.write(`load: CPU profile(s) of the stack in ${dir}: ${files.join(', ') || 'none'}\n`);
  const main = files
    .filter((f) => f.split('.')[4] === '0')
    .sort()
    .at(-1);
  let profile: CpuProfile;
  try {
    if (!main) throw new Error('no main-thread profile (did the stack exit cleanly?)');
    profile = JSON.parse(await readFile(join(dir, main), 'utf8')) as CpuProfile;
  } catch (error) {
    process.stdout.write(`load: could not read the stack's CPU profile, so no breakdown: ${(error as Error).message}\n`);
    return;
  }
  for (const run of runs) {
    if (run.name !== 'local stack') continue;
    const summary = summariseCpuProfile(profile, { window: run.windowUs, root });
    run.cpuProfile = summary;
    const categories = [...summary.categories]
      .sort((a, b) => b.ms - a.ms)
      .filter((c) => c.share >= 0.05)
      .map((c) => `${c.name} ${pct(c.share)}`);
    const top = summary.top.slice(0, 3).map((f) => `${f.fn} ${pct(f.share)}`);
    const perMessage = (ms: number) => fmt(ms / Math.max(1, run.sent), 1);
    const cpu = run.mainThreadCpuSeconds > 0 ? `${perMessage(run.mainThreadCpuSeconds * 1000)} ms CPU and ` : '';
    process.stdout.write(
      `load: stack main thread, ${run.phase}: ${cpu}${perMessage(summary.busyMs)} ms busy (sampled) per message sent: ${categories.join(', ')}; ` +
        `most self time: ${top.join(', ')}\n`,
    );
  }
}
