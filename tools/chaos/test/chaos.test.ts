import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { DEFAULT_NATS_SERVER, DEFAULT_PG_BIN, renderText, runChaos } from '@orderflow/chaos'

// The short chaos run, as make test runs it: a platform of its own (services from their sources,
// as the other tests run them, so no build is needed), 75 s of orders at 5/s, one fault of each
// kind. A breach of any promise fails its own assertion; the summary and the logs say why.
const root = fileURLToPath(new URL('../../../', import.meta.url))
const missing = [DEFAULT_NATS_SERVER, join(DEFAULT_PG_BIN, 'initdb')].filter((p) => !existsSync(p))

async function shortRun(): Promise<void> {
  const logDir = mkdtempSync(join(tmpdir(), 'orderflow-chaos-test-logs-'))
  const result = await runChaos({
    root,
    profile: 'short',
    durationS: 75,
    rate: 5,
    source: 'src',
    logDir,
    command: 'npx tap tools/chaos/test/chaos.test.ts',
    log: (line) => t.comment(line),
  })
  t.comment(renderText(result))
  for (const check of result.checks) t.ok(check.passed, check.name, { summary: check.summary, breaches: check.breaches })
  t.ok(result.faults.every((f) => f.error === null), 'every fault was carried out', { faults: result.faults })
  t.ok(result.orders.accepted > 0.5 * result.orders.sent, 'most orders were accepted', { orders: result.orders })
  if (result.passed) rmSync(logDir, { recursive: true, force: true })
  else t.comment(`the processes' logs are kept in ${logDir}`)
}

if (missing.length > 0) t.plan(0, `the chaos run starts servers of its own and needs ${missing.join(' and ')}`)
else await shortRun()
