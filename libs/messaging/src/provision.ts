import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import { ProvisioningError } from './messaging.errors.js'
import {
  checkStreamSpec,
  DEFAULT_DUPLICATE_WINDOW_MS,
  resolveConsumerSpec,
  type ConsumerSpec,
  type ResolvedConsumerSpec,
  type StreamSpec,
} from './specs.js'

/** What to provision; streams first, then consumers. */
export interface ProvisionPlan {
  /** @default [] */
  readonly streams?: readonly StreamSpec[]
  /** @default [] */
  readonly consumers?: readonly ConsumerSpec[]
}

export interface ProvisionOptions {
  /** Replicas of streams that do not declare their own (1 on one server, 3 in a cluster). @default 1 */
  readonly replicas?: number
}

export type ProvisionAction = 'created' | 'updated' | 'unchanged'

export interface ProvisionReport {
  readonly streams: readonly { readonly name: string; readonly action: ProvisionAction; readonly changed: readonly string[] }[]
  readonly consumers: readonly {
    readonly stream: string
    readonly durable: string
    readonly action: ProvisionAction
    readonly changed: readonly string[]
  }[]
}

/**
 * Brings streams and consumers in line with their declarations: creates what is missing,
 * updates what differs (listing the fields in the report) and leaves the rest alone, so it can
 * run at every start-up and from a job. Changes JetStream cannot apply in place (storage type,
 * ack or deliver policy) raise {@link ProvisioningError} rather than deleting data.
 */
export async function provision(jsm: JetStreamManager, plan: ProvisionPlan, opts: ProvisionOptions = {}): Promise<ProvisionReport> {
  const streams = plan.streams ?? []
  const consumers = (plan.consumers ?? []).map(resolveConsumerSpec)
  streams.forEach(checkStreamSpec)
  const report: { streams: ProvisionReport['streams'][number][]; consumers: ProvisionReport['consumers'][number][] } = {
    streams: [],
    consumers: [],
  }
  for (const spec of streams) report.streams.push({ name: spec.name, ...(await ensureStream(jsm, spec, opts.replicas ?? 1)) })
  for (const spec of consumers) {
    report.consumers.push({ stream: spec.stream, durable: spec.durable, ...(await ensureConsumer(jsm, spec)) })
  }
  return report
}

type Outcome = { action: ProvisionAction; changed: string[] }

function desiredStream(spec: StreamSpec, replicas: number) {
  return {
    subjects: [...spec.subjects],
    max_age: nanos(spec.maxAgeMs ?? 0),
    duplicate_window: nanos(spec.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
    max_bytes: spec.maxBytes ?? -1,
    num_replicas: spec.replicas ?? replicas,
    allow_direct: spec.allowDirect ?? false,
    description: spec.description ?? '',
  }
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, replicas: number): Promise<Outcome> {
  const resource = `stream ${spec.name}`
  const desired = desiredStream(spec, replicas)
  const current = await lookup(() => jsm.streams.info(spec.name), JetStreamApiCodes.StreamNotFound, resource)
  if (!current) {
    await attempt(resource, 'create', () =>
      jsm.streams.add({
        name: spec.name,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        ...desired,
      }),
    )
    return { action: 'created', changed: [] }
  }
  const cfg: StreamConfig = current.config
  if (cfg.storage !== StorageType.File || cfg.retention !== RetentionPolicy.Limits) {
    throw new ProvisioningError(resource, `exists with ${cfg.storage} storage and ${cfg.retention} retention; it must be deleted and re-created`)
  }
  const changed = [
    sameSet(cfg.subjects ?? [], desired.subjects) ? '' : 'subjects',
    cfg.max_age === desired.max_age ? '' : 'max_age',
    cfg.duplicate_window === desired.duplicate_window ? '' : 'duplicate_window',
    cfg.max_bytes === desired.max_bytes ? '' : 'max_bytes',
    cfg.num_replicas === desired.num_replicas ? '' : 'num_replicas',
    (cfg.allow_direct ?? false) === desired.allow_direct ? '' : 'allow_direct',
    (cfg.description ?? '') === desired.description ? '' : 'description',
  ].filter((f) => f !== '')
  if (changed.length === 0) return { action: 'unchanged', changed }
  await attempt(resource, 'update', () => jsm.streams.update(spec.name, desired))
  return { action: 'updated', changed }
}

function desiredConsumer(spec: ResolvedConsumerSpec): Partial<ConsumerConfig> {
  const [only, ...more] = spec.filterSubjects
  return {
    // filter_subjects (plural) needs 2.10; one subject goes in filter_subject so 2.9 works.
    filter_subject: only !== undefined && more.length === 0 ? only : undefined,
    filter_subjects: more.length > 0 ? [...spec.filterSubjects] : undefined,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
    // Cleared on purpose: see ConsumerSpec for why retries are the runner's job.
    backoff: undefined,
    description: spec.description,
  }
}

async function ensureConsumer(jsm: JetStreamManager, spec: ResolvedConsumerSpec): Promise<Outcome> {
  const resource = `consumer ${spec.stream}/${spec.durable}`
  const desired = desiredConsumer(spec)
  const current = await lookup(() => jsm.consumers.info(spec.stream, spec.durable), JetStreamApiCodes.ConsumerNotFound, resource)
  if (!current) {
    await attempt(resource, 'create', () =>
      jsm.consumers.add(spec.stream, {
        durable_name: spec.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        replay_policy: ReplayPolicy.Instant,
        ...withoutUndefined(desired),
      }),
    )
    return { action: 'created', changed: [] }
  }
  const cfg = current.config
  if (cfg.ack_policy !== AckPolicy.Explicit || cfg.deliver_subject) {
    throw new ProvisioningError(resource, 'exists but is not a pull consumer with explicit acks; it must be deleted and re-created')
  }
  const changed = consumerDrift(cfg, spec, desired)
  if (changed.length === 0) return { action: 'unchanged', changed }
  await attempt(resource, 'update', () => jsm.consumers.update(spec.stream, spec.durable, desired))
  return { action: 'updated', changed }
}

function consumerDrift(cfg: ConsumerConfig, spec: ResolvedConsumerSpec, desired: Partial<ConsumerConfig>): string[] {
  const currentFilters = cfg.filter_subjects?.length ? cfg.filter_subjects : cfg.filter_subject ? [cfg.filter_subject] : []
  return [
    sameSet(currentFilters, spec.filterSubjects) ? '' : 'filter_subjects',
    cfg.ack_wait === desired.ack_wait ? '' : 'ack_wait',
    cfg.max_deliver === desired.max_deliver ? '' : 'max_deliver',
    cfg.max_ack_pending === desired.max_ack_pending ? '' : 'max_ack_pending',
    (cfg.backoff ?? []).length === 0 ? '' : 'backoff',
    (cfg.description ?? '') === (desired.description ?? '') ? '' : 'description',
  ].filter((f) => f !== '')
}

/** Info of a stream or consumer, or `undefined` when the server says it does not exist. */
async function lookup<T extends StreamInfo | ConsumerInfo>(fetch: () => Promise<T>, notFound: number, resource: string): Promise<T | undefined> {
  try {
    return await fetch()
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === notFound) return undefined
    throw new ProvisioningError(resource, 'cannot read its current definition', { cause: err })
  }
}

async function attempt(resource: string, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn()
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new ProvisioningError(resource, `${what} failed: ${reason}`, { cause: err })
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a)
  return left.size === new Set(b).size && b.every((s) => left.has(s))
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
