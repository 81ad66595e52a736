import { readdirSync, readFileSync } from 'node:fs'

/**
 * Clock ticks per second of the CPU times in /proc (USER_HZ). The kernel reports them in this
 * unit on every architecture Node runs on, whatever the scheduler's own HZ.
 */
export const USER_HZ = 100

/** A process's CPU time so far (user + system, not its reaped children), in ticks. */
export function readCpuTicks(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`)
  if (stat === undefined) return undefined
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** A process's memory from /proc/<pid>/status, in kB. */
export interface ProcessMemory {
  /** Private anonymous memory: the heap, counted once per process. */
  anonKb: number
  /** File-backed and shared pages, which processes of one program largely share. */
  sharedKb: number
  /** Highest resident set size the process ever had. */
  hwmKb: number
}

export function readMemory(pid: number): ProcessMemory | undefined {
  const status = readText(`/proc/${pid}/status`)
  if (status === undefined) return undefined
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
  return { anonKb: kb('RssAnon'), sharedKb: kb('RssFile') + kb('RssShmem'), hwmKb: kb('VmHWM') }
}

/** The command name (`comm`) of a process. */
export function readComm(pid: number): string | undefined {
  return readText(`/proc/${pid}/comm`)?.trim()
}

/** The command line of a process, arguments joined by spaces (postgres rewrites it to its title). */
export function readCmdline(pid: number): string | undefined {
  return readText(`/proc/${pid}/cmdline`)?.replaceAll('\0', ' ').trim()
}

/** Every process id on the machine. */
export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
}

/** The machine's CPU ticks from /proc/stat: busy (neither idle nor waiting for I/O) and total. */
export function readMachineTicks(): { busy: number; total: number } {
  const line = readText('/proc/stat')?.split('\n', 1)[0] ?? ''
  const ticks = line.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal; guest time is already inside user.
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0)
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0)
  return { busy: total - idle, total }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    // The process exited between listing and reading.
    return undefined
  }
}
