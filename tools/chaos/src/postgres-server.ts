import { execFile } from 'node:child_process'
import { chownSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from './free-port.js'
import { managedProcess, type ManagedProcess } from './managed-process.js'

const run = promisify(execFile)

/** Where Debian and Ubuntu put the server's programs; PG_BIN overrides it. */
export const DEFAULT_PG_BIN = '/usr/lib/postgresql/15/bin'

/** A PostgreSQL cluster of the run's own, which it may stop at will. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>`: append `/<database>`. */
  readonly urlBase: string
  readonly process: ManagedProcess
  /** `pg_ctl stop -m immediate`: no checkpoint, no goodbye to clients, as a crash would be. */
  stopImmediately(): Promise<void>
  /** Starts the server again on the same data and port; resolves with the ms until it accepts connections. */
  start(): Promise<number>
}

export interface PostgresOptions {
  /** The run's directory; the cluster lives in `<runRoot>/pg`. */
  runRoot: string
  logFile: string
  /** @default DEFAULT_PG_BIN */
  binDir?: string
}

/**
 * Creates a cluster with initdb and starts it: a free port on 127.0.0.1, its socket in its own
 * directory, trust authentication, fsync on (an immediate stop must cost what it costs in
 * production). Run as root, it runs the server as the `postgres` user, which PostgreSQL requires.
 */
export async function startPostgres(opts: PostgresOptions): Promise<PostgresServer> {
  const bin = opts.binDir ?? DEFAULT_PG_BIN
  const dir = join(opts.runRoot, 'pg')
  const user = process.getuid?.() === 0 ? await userIds('postgres') : undefined
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (user) chownSync(dir, user.uid, user.gid)
  const asUser = user ? { uid: user.uid, gid: user.gid } : {}
  // initdb's own syncing only protects the empty cluster against a machine crash: skipped. The
  // server itself runs with fsync on.
  await run(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-locale', '-E', 'UTF8', '--no-sync'], { ...asUser, cwd: dir })
  const port = await freePort()
  const urlBase = `postgres://postgres@127.0.0.1:${port}`
  const server = managedProcess({
    name: 'postgres',
    command: join(bin, 'postgres'),
    args: ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on', '-c', 'max_connections=200'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
    cwd: dir,
    logFile: opts.logFile,
    runRoot: opts.runRoot,
    ...(user ? { user } : {}),
    reapSignal: 'QUIT',
    ready: () => accepts(`${urlBase}/postgres`),
  })
  await server.start()
  return {
    urlBase,
    process: server,
    async stopImmediately() {
      const exited = server.expectExit()
      await run(join(bin, 'pg_ctl'), ['stop', '-D', join(dir, 'data'), '-m', 'immediate', '-w'], { ...asUser, cwd: dir })
      await exited
    },
    start: () => server.start(),
  }
}

/** Whether a session can be opened and answers a query. */
async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 })
  // A server going down under an idle client emits 'error'; unhandled, it would end the run.
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])])
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}
