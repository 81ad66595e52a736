// load/k6-job.yaml, the Job that `skaffold verify -m load` runs: a valid batch/v1 Job whose token
// comes from the chart's Secret, whose URLs are the chart's Services, and whose pods the kind
// values' NetworkPolicies admit to every service without the release's own policies catching it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import type { IJob } from 'kubernetes-models/batch/v1/Job'
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer'
import { validateManifest } from './lib/kube-validate.js'
import { all, find } from './lib/objects.js'
import { namespace, releaseName, render, repoRoot } from './lib/render.js'
import * as variants from './lib/variants.js'

const jobFile = join(repoRoot, 'load/k6-job.yaml')
const job = parse(readFileSync(jobFile, 'utf8')) as IJob
const pod = job.spec?.template
const container = pod?.spec?.containers[0]
const podLabels = pod?.metadata?.labels ?? {}
const env = new Map((container?.env ?? []).map((e) => [e.name, e]))
const kind = render(variants.kind)

type LabelSelector = NonNullable<INetworkPolicyPeer['podSelector']>

/** Whether a label selector selects these labels (matchLabels, and matchExpressions' operators). */
function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return false
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key]
    switch (e.operator) {
      case 'In': return value !== undefined && (e.values ?? []).includes(value)
      case 'NotIn': return value === undefined || !(e.values ?? []).includes(value)
      case 'Exists': return value !== undefined
      case 'DoesNotExist': return value === undefined
      default: return false
    }
  })
  return byLabels && byExpressions
}

t.test('a valid batch/v1 Job', async (t) => {
  t.same(await validateManifest({ apiVersion: String(job.apiVersion), kind: String(job.kind), name: String(job.metadata?.name), doc: job as unknown as Record<string, unknown> }), [], 'kubernetes-models: no problems, no unknown fields')
  t.equal(job.apiVersion, 'batch/v1')
  t.equal(job.kind, 'Job')
  t.equal(job.metadata?.namespace, namespace, 'in the release namespace (the Secret and the policies are there)')
  t.equal(pod?.spec?.restartPolicy, 'Never')
  t.equal(job.spec?.backoffLimit, 0, 'a failed run is not retried')
  t.match(pod?.spec?.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, 'pod: non-root, seccomp')
  t.match(container?.securityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, 'container: read-only, no escalation, no capabilities')
  t.ok(container?.resources?.requests?.cpu && container.resources.limits?.memory, 'resources')
  t.equal(pod?.spec?.automountServiceAccountToken, false, 'no API token')
})

t.test('the token secret is the chart\'s Secret', async (t) => {
  const ref = env.get('JWT_SECRETS')?.valueFrom?.secretKeyRef
  if (!t.ok(ref, 'JWT_SECRETS from a secretKeyRef') || ref === undefined) return
  const secret = find(kind, 'Secret', String(ref.name))
  t.ok(secret, `Secret/${ref.name} is rendered by the chart`)
  t.ok(Object.keys({ ...secret?.data, ...secret?.stringData }).includes(ref.key), `it has the key ${ref.key}`)
  const services = all(kind, 'Deployment').map((d) => d.spec?.template.spec?.containers[0]?.envFrom ?? [])
  t.ok(services.length > 0 && services.every((from) => from.some((f) => f.secretRef?.name === ref.name)), 'the services verify with the same Secret')
  t.notOk(env.has('TOKEN') || env.has('JWT_SECRET'), 'no other token source overrides it')
})

t.test('the URLs are the chart\'s Services', async (t) => {
  for (const [variable, name] of [['BASE_URL', 'order'], ['INVENTORY_URL', 'inventory']] as const) {
    const full = `${releaseName}-${name}`
    const service = kind.find((m) => m.kind === 'Service' && m.name === full)?.doc as { spec?: { ports?: { port: number }[] } } | undefined
    const port = service?.spec?.ports?.[0]?.port
    t.ok(port, `Service/${full} is rendered`)
    t.equal(env.get(variable)?.value, `http://${full}.${namespace}.svc:${port}`, `${variable} is ${full} on its port`)
  }
  const configJs = readFileSync(join(repoRoot, 'load/lib/config.js'), 'utf8')
  for (const name of env.keys()) if (!name.startsWith('K6_')) t.ok(configJs.includes(`__ENV.${name}`), `load/lib/config.js reads ${name}`)
})

t.test('the kind values admit its pods to every service', async (t) => {
  t.match(podLabels, { 'app.kubernetes.io/component': 'load-generator', 'app.kubernetes.io/part-of': 'orderflow' }, 'labelled as the load generator')
  for (const name of variants.serviceNames) {
    const rules = find(kind, 'NetworkPolicy', `${releaseName}-${name}`)?.spec?.ingress ?? []
    // A peer with only a podSelector means pods of the policy's own namespace: the Job's.
    const admits = rules.some((rule) => rule.ports?.some((p) => p.port === 'http') && rule.from?.some((peer) => peer.namespaceSelector === undefined && peer.ipBlock === undefined && selects(peer.podSelector, podLabels)))
    t.ok(admits, `${name}: its API port admits the k6 pods`)
  }
  // The release's default deny (and every other policy) selects by labels: matching one would cut
  // the Job's egress to the services.
  const catching = all(kind, 'NetworkPolicy').filter((np) => selects(np.spec?.podSelector, podLabels)).map((np) => np.metadata?.name)
  t.same(catching, [], 'no policy of the release selects the k6 pods')
})
