import { parseArgs } from 'node:util'
import Type from 'typebox'
import { loadConfig, NatsSettings, splitList } from '@orderflow/config'
import { connectBus, createDeadLetters, createTopology, deadLetterView, DeadLetterNotFoundError, type DeadLetters } from '@orderflow/messaging'
import { pino } from 'pino'

const usage = `usage: orderflow dlq <list|show|replay|purge> [options]
Manages the dead letters on NATS (NATS_URL, NATS_NAMESPACE) directly.
  list [--limit N] [--after SEQ] [--json]   oldest first
  show SEQ                                  one dead letter with its body and headers (JSON)
  replay SEQ                                publish it again to its original subject, then remove it
  purge SEQ | --all                         remove one, or every dead letter`

type Out = (s: string) => void

/** `orderflow dlq …`: returns the exit code (0 done, 1 not found, 2 usage). */
export async function dlqCommand(argv: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { limit: { type: 'string' }, after: { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' }, help: { type: 'boolean' } },
  })
  const [action, seqArg] = positionals
  if (values.help || action === undefined) {
    out(usage)
    return values.help ? 0 : 2
  }
  const seq = seqArg === undefined ? undefined : Number(seqArg)
  if (seq !== undefined && !(Number.isInteger(seq) && seq > 0)) {
    out(`orderflow dlq: SEQ must be a positive whole number, got ${seqArg}`)
    return 2
  }
  const needsSeq = action === 'show' || action === 'replay' || (action === 'purge' && !values.all)
  if (!['list', 'show', 'replay', 'purge'].includes(action)) {
    out(`orderflow dlq: unknown action ${action}\n${usage}`)
    return 2
  }
  if (needsSeq && seq === undefined) {
    out(`orderflow dlq ${action}: which dead letter? Give its SEQ${action === 'purge' ? ' or --all' : ''}`)
    return 2
  }

  const config = loadConfig(Type.Object({ ...NatsSettings }), env)
  const bus = await connectBus({ servers: splitList(config.NATS_URL), name: 'orderflow-cli', logger: pino({ level: 'warn' }) })
  const { stream, subjectPrefix } = createTopology(config.NATS_NAMESPACE).deadLetters
  const deadLetters = createDeadLetters(bus, { stream, subjectPrefix })
  try {
    return await run(deadLetters, action, seq, values, out)
  } catch (error) {
    if (error instanceof DeadLetterNotFoundError) {
      out(`orderflow dlq ${action}: there is no dead letter ${seq}`)
      return 1
    }
    throw error
  } finally {
    deadLetters.close()
    await bus.close()
  }
}

async function run(
  deadLetters: DeadLetters,
  action: string,
  seq: number | undefined,
  opts: { limit?: string | undefined; after?: string | undefined; json?: boolean | undefined; all?: boolean | undefined },
  out: Out,
): Promise<number> {
  switch (action) {
    case 'list': {
      const items = await deadLetters.list({ limit: Number(opts.limit ?? 50), afterSeq: Number(opts.after ?? 0) })
      const views = items.map((d) => deadLetterView(d))
      if (opts.json) out(JSON.stringify(views, null, 2))
      else if (views.length === 0) out('no dead letters')
      else for (const v of views) out(`${v.seq}\t${v.time}\t${v.reason}\t${v.origin.consumer}\t${v.origin.subject}\t${v.error}`)
      return 0
    }
    case 'show': {
      const dl = await deadLetters.get(seq ?? 0)
      if (!dl) throw new DeadLetterNotFoundError(deadLetters.stream, seq ?? 0)
      out(JSON.stringify(deadLetterView(dl, { full: true }), null, 2))
      return 0
    }
    case 'replay': {
      const r = await deadLetters.replay(seq ?? 0)
      out(`replayed ${seq} to ${r.subject} (stream ${r.stream}, seq ${r.seq}${r.duplicate ? ', already replayed' : ''})`)
      return 0
    }
    default: {
      const purged = await deadLetters.purge(opts.all ? undefined : seq)
      if (purged === 0 && !opts.all) throw new DeadLetterNotFoundError(deadLetters.stream, seq ?? 0)
      out(`purged ${purged} dead letter${purged === 1 ? '' : 's'}`)
      return 0
    }
  }
}
