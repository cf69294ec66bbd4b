// CPU time of processes and of the whole machine from /proc (Linux), to say which process the
// cores were spent in during a benchmark phase. Only reads /proc; nothing is signalled.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of a process (all its threads); 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid);
  // After the name: state(0) ppid(1) … utime(11) stime(12).
  return f ? (Number(f[11]) + Number(f[12])) / clockTicks() : 0;
}

/** The pids whose parent is `ppid` (e.g. a postmaster's backends). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f && Number(f[1]) === ppid) out.push(Number(name));
  }
  return out;
}

/** Busy and total CPU seconds of the machine (all cores) since boot. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice: guest time is already in user.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / clockTicks(), total: (busy + idle + iowait) / clockTicks() };
}

export interface CpuGroups {
  /** name → pids (read again at each sample, so children that come and go are counted while alive). */
  readonly [name: string]: () => readonly number[];
}

export interface CpuSample {
  readonly at: number;
  readonly groups: Record<string, number>;
  readonly machine: { busy: number; total: number };
}

export function sampleCpu(groups: CpuGroups): CpuSample {
  const out: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) out[name] = pids().reduce((s, pid) => s + processCpuSeconds(pid), 0);
  return { at: performance.now(), groups: out, machine: machineCpuSeconds() };
}

/** Per group, the share of one core used between two samples (100 = one full core). */
export function cpuPercent(a: CpuSample, b: CpuSample): { groups: Record<string, number>; machineBusy: number; cores: number } {
  const seconds = (b.at - a.at) / 1000;
  const groups: Record<string, number> = {};
  for (const name of Object.keys(a.groups)) groups[name] = (100 * ((b.groups[name] ?? 0) - (a.groups[name] ?? 0))) / seconds;
  const total = b.machine.total - a.machine.total;
  const cores = Math.max(1, Math.round(total / seconds));
  return { groups, machineBusy: (100 * (b.machine.busy - a.machine.busy)) / seconds, cores };
}
