import { readCmdline, readComm } from './proc-files.js'

/** Names the group a process belongs to, or undefined for processes that are not measured. */
export type Classifier = (pid: number) => string | undefined

/** Databases `make up` creates are named `orderflow_<service>` (`<ORDERFLOW_DB_PREFIX>_<service>`). */
export const PLATFORM_DB_PREFIX = 'orderflow_'

/** The groups that are not the platform's own work: the load generator and other people's databases. */
export const NOT_PLATFORM_GROUPS: ReadonlySet<string> = new Set(['bench (load generator)', 'postgres (other databases)'])

/**
 * Groups the processes the benchmark measures: each service (by its recorded pid), the
 * PostgreSQL backends by database (so the database work lands on the service that caused it),
 * PostgreSQL's own background processes, backends of other databases (test runs of other
 * engineers on the same server), the NATS server and the benchmark itself.
 */
export function platformClassifier(servicePids: ReadonlyMap<number, string>, benchPid = process.pid, databasePrefix = PLATFORM_DB_PREFIX): Classifier {
  const cache = new Map<number, string | undefined>()
  return (pid) => {
    if (cache.has(pid)) return cache.get(pid)
    const group = classify(pid, servicePids, benchPid, databasePrefix)
    cache.set(pid, group)
    return group
  }
}

function classify(pid: number, servicePids: ReadonlyMap<number, string>, benchPid: number, databasePrefix: string): string | undefined {
  if (pid === benchPid) return 'bench (load generator)'
  const service = servicePids.get(pid)
  if (service !== undefined) return service
  const comm = readComm(pid)
  if (comm === 'nats-server') return 'nats-server'
  if (comm !== 'postgres') return undefined
  return postgresGroup(readCmdline(pid) ?? '', databasePrefix)
}

/**
 * A backend's title is `postgres: <cluster>: <user> <database> <host(port)> <state>`; anything
 * else (checkpointer, WAL writer, the postmaster) is the server's own work.
 */
export function postgresGroup(title: string, databasePrefix = PLATFORM_DB_PREFIX): string {
  const backend = /^postgres: [^:]+: \S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(title)
  if (!backend) return 'postgres (server)'
  const database = backend[1] as string
  return database.startsWith(databasePrefix) ? `postgres (${database.slice(databasePrefix.length)})` : 'postgres (other databases)'
}
