import { performance } from 'node:perf_hooks'
import { listPids, readCpuTicks, readMachineTicks, readMemory, USER_HZ } from './proc-files.js'
import type { Classifier } from './process-groups.js'

/** What one group of processes used while the monitor ran. */
export interface GroupUsage {
  name: string
  /** CPU seconds (user + system) spent in the window. */
  cpuSeconds: number
  /** The same as a share of one core: 1.0 is one core busy all the time. */
  cores: number
  /** Highest sampled resident memory of the group: private memory of each process plus the largest shared part. */
  peakRssMb: number
  /** Processes seen. */
  processes: number
}

export interface MachineUsage {
  /** Cores busy on average over the window, by everything on the machine. */
  busyCores: number
  /**
   * CPU seconds the whole machine spent busy in the window (every process, from /proc/stat: user,
   * nice, system, irq, softirq, steal). Absent in results of older benchmarks.
   */
  busyCpuSeconds?: number
  /** Busy cores not explained by the measured groups: other work on the shared machine. */
  otherCores: number
}

export interface ProcessUsageReport {
  windowSeconds: number
  groups: GroupUsage[]
  machine: MachineUsage
}

export interface ProcessMonitor {
  /** Takes the last sample and reports the window since the monitor started. */
  stop(): ProcessUsageReport
}

/**
 * Samples every measured process each `intervalMs`. A process present at the start counts from
 * its CPU time then; one born later counts whole; one that exits keeps its last sample. That
 * keeps short-lived PostgreSQL backends (the pools open and close connections) in the figures.
 */
export function startProcessMonitor(classify: Classifier, intervalMs = 1000): ProcessMonitor {
  const startedAt = performance.now()
  const machineStart = readMachineTicks()
  const baseline = new Map<number, number>()
  const last = new Map<number, { group: string; ticks: number }>()
  const peakRssKb = new Map<string, number>()

  const sample = (first: boolean) => {
    const rss = new Map<string, { anon: number; shared: number }>()
    for (const pid of listPids()) {
      const group = classify(pid)
      if (group === undefined) continue
      const ticks = readCpuTicks(pid)
      if (ticks === undefined) continue
      if (first) baseline.set(pid, ticks)
      last.set(pid, { group, ticks })
      const mem = readMemory(pid)
      if (!mem) continue
      const sum = rss.get(group) ?? { anon: 0, shared: 0 }
      rss.set(group, { anon: sum.anon + mem.anonKb, shared: Math.max(sum.shared, mem.sharedKb) })
    }
    for (const [group, { anon, shared }] of rss) peakRssKb.set(group, Math.max(peakRssKb.get(group) ?? 0, anon + shared))
  }

  sample(true)
  const timer = setInterval(() => sample(false), intervalMs)
  timer.unref()

  return {
    stop() {
      clearInterval(timer)
      sample(false)
      const windowSeconds = (performance.now() - startedAt) / 1000
      const cpuTicks = new Map<string, { ticks: number; processes: number }>()
      for (const [pid, { group, ticks }] of last) {
        const g = cpuTicks.get(group) ?? { ticks: 0, processes: 0 }
        cpuTicks.set(group, { ticks: g.ticks + ticks - (baseline.get(pid) ?? 0), processes: g.processes + 1 })
      }
      const groups = [...cpuTicks].map(([name, { ticks, processes }]) => ({
        name,
        cpuSeconds: ticks / USER_HZ,
        cores: ticks / USER_HZ / windowSeconds,
        peakRssMb: (peakRssKb.get(name) ?? 0) / 1024,
        processes,
      }))
      groups.sort((a, b) => b.cpuSeconds - a.cpuSeconds)
      const machineEnd = readMachineTicks()
      const busyCpuSeconds = (machineEnd.busy - machineStart.busy) / USER_HZ
      const busyCores = busyCpuSeconds / windowSeconds
      const measured = groups.reduce((a, g) => a + g.cores, 0)
      return { windowSeconds, groups, machine: { busyCores, busyCpuSeconds, otherCores: Math.max(0, busyCores - measured) } }
    },
  }
}
