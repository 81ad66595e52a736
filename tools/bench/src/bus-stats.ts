import { Streams } from '@orderflow/contracts'
import type { Bus, Topology } from '@orderflow/messaging'

/** What JetStream holds for the platform at one moment. */
export interface BusSnapshot {
  /** Σ num_pending + num_ack_pending over the durable consumers of the domain streams. */
  consumerBacklog: number
  /** The same per `<stream>/<consumer>`, only those with a backlog. */
  backlogByConsumer: Record<string, number>
  /** Messages in the dead-letter stream. */
  deadLetters: number
  /** `order.evt.created` messages in the orders stream: what the outbox has published. */
  ordersCreated: number
  /** Messages stored in each domain stream. */
  messagesByStream: Record<string, number>
}

/**
 * Reads consumer backlogs and message counts. Only the namespace's domain streams are read, so
 * consumers of other namespaces (parallel test runs on the same server) do not count.
 */
export async function readBusSnapshot(jsm: Bus['jsm'], topology: Topology, createdSubject: string): Promise<BusSnapshot> {
  const dlq = topology.deadLetters.stream
  const domainStreams = topology.deadLetters.watchedStreams
  const backlogByConsumer: Record<string, number> = {}
  const messagesByStream: Record<string, number> = {}
  let consumerBacklog = 0
  for (const stream of domainStreams) {
    messagesByStream[stream] = (await jsm.streams.info(stream)).state.messages
    for await (const c of jsm.consumers.list(stream)) {
      const backlog = c.num_pending + c.num_ack_pending
      consumerBacklog += backlog
      if (backlog > 0) backlogByConsumer[`${stream}/${c.name}`] = backlog
    }
  }
  const ordersStream = topology.stream(Streams.ORDERS.name)
  const [dlqInfo, ordersInfo] = await Promise.all([
    jsm.streams.info(dlq).catch(() => undefined),
    jsm.streams.info(ordersStream, { subjects_filter: createdSubject }),
  ])
  return {
    consumerBacklog,
    backlogByConsumer,
    deadLetters: dlqInfo?.state.messages ?? 0,
    ordersCreated: ordersInfo.state.subjects?.[createdSubject] ?? 0,
    messagesByStream,
  }
}

/**
 * Counters of the platform's JetStream work at one moment: how often each durable consumer has
 * delivered (redeliveries included) and how far each domain stream's sequence has gone.
 */
export interface DeliveryCounters {
  /** `delivered.consumer_seq` of every durable consumer of the namespace's streams, by `<stream>/<consumer>`. */
  deliveredByConsumer: Record<string, number>
  /** `state.last_seq` of each domain stream: messages published to it so far. */
  publishedByStream: Record<string, number>
}

/**
 * Reads {@link DeliveryCounters}. The streams are those the server lists that belong to the
 * namespace's topology (the contracts' domain streams and the dead-letter streams); their
 * consumers are whatever durables the server lists on them, so services and consumers that come
 * or go are counted without naming any of them here. Other namespaces' streams (parallel test
 * runs on the same server) are left out.
 */
export async function readDeliveryCounters(jsm: Bus['jsm'], topology: Topology): Promise<DeliveryCounters> {
  const platform = new Set(topology.streams().map((s) => s.name))
  const domain = new Set(topology.deadLetters.watchedStreams)
  const deliveredByConsumer: Record<string, number> = {}
  const publishedByStream: Record<string, number> = {}
  const streams: string[] = []
  for await (const info of jsm.streams.list()) {
    const name = info.config.name
    if (!platform.has(name)) continue
    streams.push(name)
    if (domain.has(name)) publishedByStream[name] = info.state.last_seq
  }
  for (const stream of streams) {
    for await (const c of jsm.consumers.list(stream)) {
      if (c.config.durable_name) deliveredByConsumer[`${stream}/${c.name}`] = c.delivered.consumer_seq
    }
  }
  return { deliveredByConsumer, publishedByStream }
}
