/** The run's reads over HTTP: the operators' dead-letter API and nats-server's monitoring. */

/** A dead letter as the order service's API lists it (`GET /v1/dead-letters`). */
export interface DeadLetterSummary {
  seq: number
  reason: string
  error: string
  origin: { subject: string; stream: string; seq: number; consumer: string; deliveries: number }
}

const PAGE = 1_000

/** Every dead letter of the platform, oldest first, through the order service's operators' API. */
export async function listDeadLetters(orderUrl: string, token: string): Promise<DeadLetterSummary[]> {
  const all: DeadLetterSummary[] = []
  for (let after = 0; ; ) {
    const res = await fetch(`${orderUrl}/v1/dead-letters?limit=${PAGE}&after=${after}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    })
    if (!res.ok) throw new Error(`GET /v1/dead-letters answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
    const page = (await res.json()) as { items: DeadLetterSummary[]; nextCursor: number | null }
    all.push(...page.items)
    if (page.nextCursor === null) return all
    after = page.nextCursor
  }
}

interface Jsz {
  account_details?: { stream_detail?: { name: string; consumer_detail?: { name: string; num_pending: number; num_ack_pending: number; config?: { ack_wait?: number } }[] }[] }[]
}

async function jsz(monitorUrl: string): Promise<Jsz> {
  const res = await fetch(`${monitorUrl}/jsz?accounts=true&streams=true&consumers=true&config=true`, { signal: AbortSignal.timeout(5_000) })
  if (!res.ok) throw new Error(`nats-server /jsz answered ${res.status}`)
  return (await res.json()) as Jsz
}

const consumersOf = (z: Jsz) => (z.account_details ?? []).flatMap((a) => (a.stream_detail ?? []).flatMap((s) => (s.consumer_detail ?? []).map((c) => ({ stream: s.name, ...c }))))

/** '' when every durable consumer has settled its messages; else which have not. */
export async function consumerBacklog(monitorUrl: string): Promise<string> {
  return consumersOf(await jsz(monitorUrl))
    .filter((c) => c.num_pending + c.num_ack_pending > 0)
    .map((c) => `consumer ${c.name} has ${c.num_pending + c.num_ack_pending} messages to settle`)
    .join('; ')
}

/** The longest ack wait of any consumer the services provisioned: a stall must outlast it. */
export async function longestAckWaitMs(monitorUrl: string): Promise<number> {
  const waits = consumersOf(await jsz(monitorUrl)).map((c) => (c.config?.ack_wait ?? 0) / 1e6)
  if (waits.length === 0) throw new Error('nats-server lists no consumers: were the services provisioned?')
  return Math.max(...waits)
}
