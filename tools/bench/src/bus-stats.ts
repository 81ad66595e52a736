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
