/**
 * What a run must undo, newest first: children killed, PostgreSQL stopped, temp directories
 * removed. `run` is idempotent, so the normal end, a failure and a signal may all call it; each
 * step runs even when an earlier one failed.
 */
export interface Cleanup {
  add(what: string, step: () => unknown): void
  run(): Promise<string[]>
}

export function createCleanup(): Cleanup {
  const steps: { what: string; step: () => unknown }[] = []
  let running: Promise<string[]> | undefined
  return {
    add(what, step) {
      steps.push({ what, step })
    },
    run() {
      running ??= (async () => {
        const problems: string[] = []
        for (const { what, step } of steps.reverse()) {
          try {
            await step()
          } catch (error) {
            problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`)
          }
        }
        return problems
      })()
      return running
    },
  }
}
