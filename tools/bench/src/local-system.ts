import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readCmdline } from './proc-files.js'

/** The services `make up` runs, by name, with the live pids of their replicas (REPLICAS=N). */
export type ServicePids = Map<string, number[]>

/**
 * Services started by `make up` that are still alive: their pid file exists and the process
 * behind it is still that service (a recycled pid is not). Replica i > 1 of a service has the pid
 * file `<service>@<i>.pid` (tools/dev/up).
 */
export function liveServices(root: string): ServicePids {
  const dir = join(root, '.run', 'pids')
  const live: ServicePids = new Map()
  if (!existsSync(dir)) return live
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.pid')).sort()) {
    const name = file.slice(0, -'.pid'.length).replace(/@\d+$/, '')
    const pid = Number(readFileSync(join(dir, file), 'utf8').trim())
    if (Number.isInteger(pid) && readCmdline(pid)?.includes(`services/${name}/dist/main.js`)) live.set(name, [...(live.get(name) ?? []), pid])
  }
  return live
}

/** Most replicas any running service has: what `REPLICAS=N make up` started. */
export function replicaCount(pids: ServicePids): number {
  return Math.max(1, ...[...pids.values()].map((p) => p.length))
}

/** Replica i's URL of a service whose first replica is at `url`: the port + 100·(i-1), as tools/dev/up starts them. */
export function replicaUrls(url: string, replicas: number): string[] {
  const first = new URL(url)
  return Array.from({ length: replicas }, (_, i) => {
    const u = new URL(first)
    u.port = String(Number(first.port) + 100 * i)
    return u.origin
  })
}

/** Runs one of the dev scripts (`tools/dev/up`, `tools/dev/down`), its output sent to `log`. */
export function runDevScript(
  root: string,
  script: 'up' | 'down',
  log: (line: string) => void,
  opts: { services?: readonly string[]; env?: Record<string, string> } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'tools', 'dev', script), [...(opts.services ?? [])], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    })
    const output: string[] = []
    const collect = (chunk: Buffer) => output.push(chunk.toString())
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.on('error', reject)
    child.on('close', (code) => {
      const text = output.join('')
      if (code === 0) {
        for (const line of text.split('\n').filter((l) => /^(up|down|infra):/.test(l))) log(line)
        resolve()
      } else {
        reject(new Error(`tools/dev/${script} exited with ${code}:\n${text.slice(-3000)}`))
      }
    })
  })
}

/** The first of JWT_SECRETS from `.run/dev.env`, which `make up` writes. */
export function readDevSecret(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.JWT_SECRETS?.split(',')[0]?.trim()
  if (fromEnv) return fromEnv
  const file = join(root, '.run', 'dev.env')
  const line = existsSync(file) ? /^JWT_SECRETS=(.*)$/m.exec(readFileSync(file, 'utf8')) : null
  const secret = line?.[1]?.split(',')[0]?.trim()
  if (!secret) throw new Error(`no JWT secret: JWT_SECRETS is unset and ${file} has none (make up writes it)`)
  return secret
}

/** The services `make up` starts: those declaring an `orderflow` block in their package.json. */
export function declaredServices(root: string): string[] {
  const dir = join(root, 'services')
  return readdirSync(dir)
    .filter((name) => {
      const file = join(dir, name, 'package.json')
      return existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { orderflow?: unknown }).orderflow !== undefined
    })
    .sort()
}
