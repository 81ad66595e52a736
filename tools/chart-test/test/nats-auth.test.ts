// NATS per service (nats.auth.enabled): each service has its own user whose permissions let it
// publish its own events and the commands it sends, never another service's events; it pulls
// only from its own durable consumers; the hook Jobs declare streams as a `provision` user. The
// chart's copy of what each service does on the bus (services.<name>.nats) is compared with the
// services' code.
import { Buffer } from 'node:buffer'
import t from 'tap'
import * as contracts from '@orderflow/contracts'
import { createTopology } from '@orderflow/messaging'
import { validateManifest } from './lib/kube-validate.js'
import { all, find } from './lib/objects.js'
import { configKeys } from './lib/services.js'
import { releaseName, render, type Manifest, type Variant } from './lib/render.js'
import * as variants from './lib/variants.js'

interface Permissions {
  readonly publish: { readonly allow: readonly string[] }
  readonly subscribe: { readonly allow: readonly string[] }
}
interface NatsUser {
  readonly user: string
  readonly password: string
  readonly permissions: Permissions
}
interface ChartNats {
  readonly publish?: string[]
  readonly consumers?: { stream: string; durable: string }[]
  readonly deadLetterApi?: boolean
}

const chartServices = variants.chartServices() as Record<string, { nats?: ChartNats }>
const withAuth: Variant = { name: 'nats.auth on', args: ['--set', 'nats.auth.enabled=true'] }

/** Whether a NATS subject matches a permission pattern (`*` one token, `>` the rest). */
export function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.')
  const s = subject.split('.')
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false
  }
  return p.length === s.length
}

/** The users of the rendered `authorization` block, by user name. */
function authUsers(manifests: readonly Manifest[]): Map<string, NatsUser> {
  const secret = find(manifests, 'Secret', `${releaseName}-nats-auth`)
  const conf = Buffer.from(String(secret?.data?.['auth.conf']), 'base64').toString('utf8')
  const json = /^authorization: ([\s\S]*)$/.exec(conf)?.[1]
  if (json === undefined) throw new Error(`auth.conf is not an authorization block: ${conf.slice(0, 80)}`)
  const users = (JSON.parse(json) as { users: NatsUser[] }).users
  return new Map(users.map((u) => [u.user, u]))
}

/** Every message the contracts define: its subject, and whether it is an event or a command. */
const messages = Object.values(contracts).flatMap((v) => {
  const subject = typeof v === 'object' && v !== null ? (v as { subject?: unknown }).subject : undefined
  return typeof subject === 'string' && /\.(evt|cmd)\./.test(subject) ? [subject] : []
})
const events = messages.filter((s) => s.includes('.evt.'))
const commands = messages.filter((s) => s.includes('.cmd.'))
/** The service that owns a subject's domain: `order.evt.created` → order. */
const owner = (subject: string) => subject.split('.')[0]!

/** The service definitions' consumers, as `<stream>/<durable>`. */
async function codeConsumers(name: string): Promise<string[]> {
  const mod = (await import(`@orderflow/${name}`)) as Record<string, unknown>
  const def = Object.values(mod).find((v) => typeof v === 'object' && v !== null && 'configSchema' in v) as { consumers?: { spec: { stream: string; durable: string } }[] } | undefined
  return (def?.consumers ?? []).map((c) => `${c.spec.stream}/${c.spec.durable}`).sort()
}

t.test('the contracts define events and commands to check against', async (t) => {
  t.ok(events.length >= 10, `${events.length} events`)
  t.ok(commands.length >= 5, `${commands.length} commands`)
})

t.test("the chart's copy of each service's consumers is the code's", async (t) => {
  for (const name of variants.serviceNames) {
    const chart = (chartServices[name]?.nats?.consumers ?? []).map((c) => `${c.stream}/${c.durable}`).sort()
    t.same(chart, await codeConsumers(name), `${name}: services.${name}.nats.consumers`)
  }
})

t.test('no service may publish another service\'s events; only order sends commands', async (t) => {
  const users = authUsers(render(withAuth))
  for (const name of variants.serviceNames) {
    const user = users.get(`${releaseName}-${name}`)
    if (!t.ok(user, `${name} has a user`) || user === undefined) continue
    const allowed = (subject: string) => user.permissions.publish.allow.some((p) => matches(p, subject))
    for (const subject of events) {
      t.equal(allowed(subject), owner(subject) === name, `${name} ${owner(subject) === name ? 'may' : 'may not'} publish ${subject}`)
    }
    for (const subject of commands) t.equal(allowed(subject), name === 'order', `${name} ${name === 'order' ? 'may' : 'may not'} send ${subject}`)
    t.notOk(allowed('$JS.API.STREAM.CREATE.ORDERS') || allowed('$JS.API.STREAM.DELETE.ORDERS'), `${name} may not create or delete streams`)
    t.same(user.permissions.subscribe.allow, ['_INBOX.>'], `${name} subscribes to replies and pulled messages only`)
    for (const other of variants.serviceNames.filter((n) => n !== name)) {
      for (const c of chartServices[other]?.nats?.consumers ?? []) {
        t.notOk(allowed(`$JS.API.CONSUMER.MSG.NEXT.${c.stream}.${c.durable}`), `${name} may not pull from ${c.durable}`)
      }
    }
    for (const c of chartServices[name]?.nats?.consumers ?? []) {
      t.ok(allowed(`$JS.API.CONSUMER.MSG.NEXT.${c.stream}.${c.durable}`) && allowed(`$JS.ACK.${c.stream}.${c.durable}.1.2.3.4.5`), `${name} pulls from and acks ${c.durable}`)
    }
    t.equal(allowed('$JS.API.STREAM.PURGE.DLQ'), chartServices[name]?.nats?.deadLetterApi === true, `${name}: purges dead letters only with the dead-letter API`)
  }
})

t.test('the provision user declares every platform stream and nothing else', async (t) => {
  const provision = authUsers(render(withAuth)).get(`${releaseName}-provision`)
  const allow = provision?.permissions.publish.allow ?? []
  const created = allow.filter((p) => p.startsWith('$JS.API.STREAM.CREATE.')).map((p) => p.slice('$JS.API.STREAM.CREATE.'.length)).sort()
  t.same(created, createTopology().streams().map((s) => s.name).sort(), 'the streams of libs/messaging createTopology')
  t.notOk(allow.some((p) => !p.startsWith('$JS.API.')), 'no message subjects')
})

t.test('NATS_NAMESPACE moves subjects and streams', async (t) => {
  const users = authUsers(render({ name: 'nats.auth, namespace blue', args: [...withAuth.args, '--set-string', 'config.NATS_NAMESPACE=blue'] }))
  const order = users.get(`${releaseName}-order`)?.permissions.publish.allow ?? []
  t.ok(order.includes('blue.order.evt.>') && order.includes('blue.dlq.>'), 'subjects prefixed')
  t.ok(order.includes('$JS.API.CONSUMER.MSG.NEXT.BLUE_INVENTORY.order-inventory'), 'streams prefixed')
  t.notOk(order.includes('order.evt.>'), 'nothing left outside the namespace')
})

t.test('credentials: a Secret per user, read by the pods and the provision Jobs', async (t) => {
  const manifests = render({ name: 'nats.auth, a given password', args: [...withAuth.args, '--set', 'nats.auth.passwords.order=given-pw'] })
  const users = authUsers(manifests)
  for (const name of [...variants.serviceNames, 'provision']) {
    const secret = find(manifests, 'Secret', `${releaseName}-${name}-nats`)
    const data = Object.fromEntries(Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
    const user = users.get(`${releaseName}-${name}`)
    t.same(data, { NATS_USER: user?.user, NATS_PASSWORD: user?.password }, `${name}: the Secret holds the user of auth.conf`)
    t.ok((user?.password.length ?? 0) >= 32 || name === 'order', `${name}: a generated password`)
  }
  t.equal(users.get(`${releaseName}-order`)?.password, 'given-pw', 'a password from values')
  for (const name of variants.serviceNames) {
    const pod = find(manifests, 'Deployment', `${releaseName}-${name}`)?.spec?.template.spec
    t.ok(pod?.containers[0]?.envFrom?.some((e) => e.secretRef?.name === `${releaseName}-${name}-nats`), `${name}: the Deployment reads its own`)
    const job = find(manifests, 'Job', `${releaseName}-${name}-provision`)?.spec?.template.spec
    t.ok(job?.containers[0]?.envFrom?.some((e) => e.secretRef?.name === `${releaseName}-provision-nats`), `${name}: its provision Job reads the provision user's`)
  }
})

// The Secrets are only worth something if every service reads them (libs/config, connectBus).
t.test('the services read NATS_USER and NATS_PASSWORD', async (t) => {
  const keys = await Promise.all(variants.serviceNames.map(async (name) => (await configKeys(name)).all))
  t.ok(keys.every((k) => k.has('NATS_USER') && k.has('NATS_PASSWORD')), 'every config schema has NATS_USER and NATS_PASSWORD')
})

t.test('valid Kubernetes objects with nats.auth on', async (t) => {
  const manifests = render(withAuth)
  t.same((await Promise.all(manifests.map((m) => validateManifest(m)))).flat(), [], `${manifests.length} objects, no problems`)
})

t.test('off by default: no users, no Secrets, nothing read', async (t) => {
  const manifests = render(variants.defaults)
  t.same(all(manifests, 'Secret').map((s) => s.metadata?.name).filter((n) => n?.includes('nats')), [], 'no NATS Secrets')
  t.notOk(JSON.stringify(manifests).includes('-nats"'), 'no reference to one')
})
