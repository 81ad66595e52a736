import { spawn } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Set in every process a run starts, so the reaper kills ours only, never a recycled pid. */
export const RUN_MARKER = 'ORDERFLOW_CHAOS_RUN'

// Waits for the run's process to end, then kills what it left (its pid files name them) and removes
// its directory. A normal end has removed the directory already and this finds nothing to do.
const SCRIPT = `
parent=$1 root=$2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
[[ -d $root/pids ]] || exit 0
for f in "$root"/pids/*.pid; do
  [[ -e $f ]] || continue
  read -r pid sig <"$f"
  if tr '\\0' '\\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "${RUN_MARKER}=$root"; then
    kill -CONT "$pid" 2>/dev/null
    kill "-$sig" "$pid" 2>/dev/null
  fi
done
sleep 3
rm -rf "$root"
`

/**
 * Cleans up after a run whose process was killed outright (SIGKILL, a test runner's timeout),
 * when no handler of ours runs: a detached shell that outlives us by exactly that long.
 */
export function startReaper(root: string): void {
  mkdirSync(join(root, 'pids'), { recursive: true })
  const child = spawn('bash', ['-c', SCRIPT, 'chaos-reaper', String(process.pid), root], { detached: true, stdio: 'ignore' })
  child.unref()
}

/** Records a process for the reaper: `signal` is how to end it (QUIT stops PostgreSQL at once). */
export function recordPid(root: string, name: string, pid: number, signal: 'KILL' | 'QUIT'): void {
  writeFileSync(join(root, 'pids', `${name}.pid`), `${pid} ${signal}\n`)
}

export function forgetPid(root: string, name: string): void {
  rmSync(join(root, 'pids', `${name}.pid`), { force: true })
}
