import { readFileSync } from 'node:fs'
import os from 'node:os'

/** The machine a benchmark ran on, as the report states it. */
export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGb: number
  kernel: string
  node: string
  /** 1, 5 and 15 minute load averages when the benchmark started. */
  loadAverage: [number, number, number]
}

export function readMachineInfo(): MachineInfo {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg()
  return {
    cpuModel: cpuModel(),
    cores: os.availableParallelism(),
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: [one, five, fifteen],
  }
}

function cpuModel(): string {
  const model = os.cpus()[0]?.model?.trim()
  if (model) return model
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown'
  } catch {
    return 'unknown'
  }
}
