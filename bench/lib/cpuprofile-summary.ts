// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by where the code lives
// (a package, a folder of src/, Node's internals, GC, idle), and the inclusive time of chosen
// functions. Usable on its own: node bench/lib/cpuprofile-summary.ts FILE [FUNCTION…]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileSummary {
  /** Profiled wall time (ms). */
  readonly totalMs: number;
  /** Sampled time not idle (ms). */
  readonly busyMs: number;
  readonly byFunction: { name: string; ms: number }[];
  readonly byArea: { area: string; ms: number }[];
  /** Inclusive time (ms) of functions whose name matches one of the given names. */
  readonly inclusive: { name: string; ms: number }[];
}

/** Where a frame's code lives, coarsely: the package, the folder under src/, or a V8/Node category. */
function areaOf(url: string, name: string): string {
  if (url === '') {
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return name;
    return '(native)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/src\/([^/]+(?:\/[^/]+)?)\//.exec(url);
  if (src) return `src/${src[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^.*\/(?=[^/]+$)/, '');
}

export function summariseProfile(file: string, inclusiveNames: readonly string[] = []): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let busy = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'}${where}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const a = areaOf(url, functionName);
    area.set(a, (area.get(a) ?? 0) + ms);
    if (functionName !== '(idle)') busy += ms;
  }
  // Inclusive: a sample counts once for a name if any frame on its stack has that name.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = inclusiveNames.map((name) => {
    let ms = 0;
    for (const [id, t] of self) {
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        if (byId.get(cur)!.callFrame.functionName === name) {
          ms += t;
          break;
        }
      }
    }
    return { name, ms };
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: (p.endTime - p.startTime) / 1000,
    busyMs: busy,
    byFunction: sorted(fn).slice(0, 30).map(([name, ms]) => ({ name, ms })),
    byArea: sorted(area).map(([a, ms]) => ({ area: a, ms })),
    inclusive,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, ...names] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/lib/cpuprofile-summary.ts FILE.cpuprofile [FUNCTION…]');
    process.exit(2);
  }
  const s = summariseProfile(file, names);
  const pc = (ms: number) => `${((100 * ms) / s.busyMs).toFixed(1)} %`;
  console.log(`profiled ${(s.totalMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (${((100 * s.busyMs) / s.totalMs).toFixed(0)} % of one core)\n`);
  console.log('by area (self time, % of busy):');
  for (const a of s.byArea) if (a.area !== '(idle)') console.log(`  ${pc(a.ms).padStart(7)}  ${a.area}`);
  console.log('\ntop functions (self time):');
  for (const f of s.byFunction) if (!f.name.startsWith('(idle)')) console.log(`  ${pc(f.ms).padStart(7)}  ${f.name}`);
  if (s.inclusive.length > 0) {
    console.log('\ninclusive:');
    for (const f of s.inclusive) console.log(`  ${pc(f.ms).padStart(7)}  ${f.name}`);
  }
}
