import { ConfigError } from './load-config.js'

/**
 * Runs a process entry point and fails fast: a {@link ConfigError} prints its message alone (it
 * already names every variable at fault; a stack trace would only bury it), any other error
 * prints with its stack, and both exit with code 1 so an orchestrator sees the failure.
 */
export async function runEntryPoint(main: () => Promise<void>, err: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<void> {
  try {
    await main()
  } catch (error) {
    err(error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exitCode = 1
    // Open handles (a pool, a socket) would keep a failed process alive; it must not linger.
    setTimeout(() => process.exit(1), 100).unref()
  }
}
