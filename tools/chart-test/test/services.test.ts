// For every enabled service the render has what the issue asks for: the Deployment with its three
// probes on paths the service really serves, the hardened pod, a grace period longer than its
// drain, env from a ConfigMap and Secrets, a Service, HPA, PDB, ServiceAccount, NetworkPolicy,
// and its migrate and provision Jobs; a disabled service leaves nothing behind.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import type { IHTTPGetAction } from 'kubernetes-models/v1/HTTPGetAction'
import type { IJob } from 'kubernetes-models/batch/v1/Job'
import { buildServer } from '@orderflow/http'
import { all, environmentOf, find } from './lib/objects.js'
import { chartDir, namespace, releaseName, render, type Manifest, type Variant } from './lib/render.js'
import * as variants from './lib/variants.js'

const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { serviceDefaults: { autoscaling: Record<string, number> } }
const chartServices = variants.chartServices()

/** What the common server of every service answers (libs/http buildServer: probes, metrics). */
const served = await (async () => {
  const app = buildServer({ serviceName: 'chart-test', openapi: false })
  await app.ready()
  const has = (url: string) => app.hasRoute({ method: 'GET', url })
  const paths = new Set(['/livez', '/readyz', '/metrics'].filter(has))
  await app.close()
  return paths
})()

t.test('the server every service builds serves the probe and metrics paths', async (t) => {
  t.same([...served].sort(), ['/livez', '/metrics', '/readyz'])
})

/** serviceDefaults.autoscaling of values.yaml, with that of each values file the variant adds (-f) over it. */
function expectedAutoscaling(variant: Variant): Record<string, number> {
  const files = variant.args.flatMap((a, i) => (variant.args[i - 1] === '-f' ? [a] : []))
  const overrides = files.map((f) => (parse(readFileSync(f, 'utf8')) as { serviceDefaults?: { autoscaling?: Record<string, number> } }).serviceDefaults?.autoscaling ?? {})
  return Object.assign({ ...values.serviceDefaults.autoscaling }, ...overrides) as Record<string, number>
}

/** Whether a Job's server is the release's own: its DATABASE_URL or NATS_URL points into the release. */
function targetsRelease(manifests: readonly Manifest[], job: IJob): boolean {
  const container = job.spec!.template.spec!.containers[0]!
  const env = new Map((container.env ?? []).map((e) => [e.name, e.value]))
  if (env.has('NATS_URL')) return env.get('NATS_URL')!.startsWith(`nats://${releaseName}-nats.`)
  const secretName = container.envFrom?.find((e) => e.secretRef)?.secretRef?.name
  const secretUrl = find(manifests, 'Secret', secretName ?? '')?.data?.DATABASE_URL
  const url = env.get('DATABASE_URL') ?? (secretUrl === undefined ? undefined : Buffer.from(secretUrl, 'base64').toString('utf8'))
  if (url === undefined) return false
  const host = /@([^:/]+)/.exec(url)?.[1] ?? ''
  return host === `${releaseName}-postgresql` || host.startsWith(`${releaseName}-postgresql-rw.`)
}

function checkService(t: Test, manifests: readonly Manifest[], variant: Variant, name: string): void {
  const full = `${releaseName}-${name}`
  const entry = chartServices[name]!
  const deployment = find(manifests, 'Deployment', full)
  if (!t.ok(deployment, 'Deployment') || deployment === undefined) return
  const pod = deployment.spec!.template.spec!
  const container = pod.containers.find((c) => c.name === name)
  if (!t.ok(container, 'container named after the service') || container === undefined) return
  const podLabels = deployment.spec!.template.metadata!.labels!

  t.same(container.command, ['node', `services/${name}/dist/main.js`], 'runs the service from the image')
  t.same(container.ports, [{ name: 'http', containerPort: entry.port, protocol: 'TCP' }], 'port from values')

  for (const [probe, path] of [['startupProbe', '/livez'], ['readinessProbe', '/readyz'], ['livenessProbe', '/livez']] as const) {
    const get: IHTTPGetAction | undefined = container[probe]?.httpGet
    t.equal(get?.path, path, `${probe} on ${path}`)
    t.equal(get?.port, 'http', `${probe} on the service port`)
    t.ok(served.has(String(get?.path)), `${probe} path is served`)
  }

  t.match(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, 'pod: non-root, seccomp')
  t.match(container.securityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } }, 'container: read-only, no escalation, no capabilities')
  const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp')
  t.ok(tmp && pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir, '/tmp is an emptyDir')
  t.ok(container.resources?.requests?.cpu && container.resources.requests.memory && container.resources.limits?.memory, 'resources')
  t.equal(pod.automountServiceAccountToken, false, 'no API token')
  t.equal(pod.serviceAccountName, full, 'own ServiceAccount')
  t.ok(manifests.some((m) => m.kind === 'ServiceAccount' && m.name === full), 'ServiceAccount rendered')

  const env = environmentOf(manifests, container, { 'order-db': ['DATABASE_URL'] })
  t.same(env.missing, [], 'every ConfigMap and Secret it reads is rendered (or named as existing)')
  t.ok(container.envFrom?.some((e) => e.configMapRef) && container.envFrom.some((e) => e.secretRef), 'env from a ConfigMap and a Secret')
  const config = find(manifests, 'ConfigMap', full)?.data ?? {}
  t.equal(config.PORT, String(entry.port), 'PORT matches the container port')
  const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0
  t.ok(preStop > 0, 'preStop pause')
  const drainSeconds = (Number(config.SHUTDOWN_DRAIN_DELAY_MS) + Number(config.SHUTDOWN_TIMEOUT_MS)) / 1000
  t.ok(drainSeconds > 0, 'drain delay and timeout are set')
  t.ok((pod.terminationGracePeriodSeconds ?? 30) > preStop + drainSeconds, `grace period ${pod.terminationGracePeriodSeconds}s > preStop ${preStop}s + drain ${drainSeconds}s`)
  t.match(deployment.spec!.template.metadata!.annotations?.['checksum/config'], /^[0-9a-f]{64}$/, 'checksum/config annotation')

  const service = manifests.find((m) => m.kind === 'Service' && m.name === full)?.doc as { spec?: { ports?: { port: number; targetPort: string }[]; selector?: Record<string, string> } } | undefined
  t.match(service?.spec, { ports: [{ port: entry.port, targetPort: 'http' }] }, 'Service on the port')
  t.same(service?.spec?.selector, deployment.spec!.selector.matchLabels, 'Service selects the pods')

  const hpa = find(manifests, 'HorizontalPodAutoscaler', full)
  const autoscaled = !variant.args.includes(`services.${name}.autoscaling.enabled=false`)
  if (autoscaled) {
    const expected = expectedAutoscaling(variant)
    t.equal(deployment.spec!.replicas, undefined, 'replicas left to the HPA')
    t.match(hpa, { apiVersion: 'autoscaling/v2', spec: { scaleTargetRef: { kind: 'Deployment', name: full }, minReplicas: expected.minReplicas, maxReplicas: expected.maxReplicas } }, 'HPA autoscaling/v2 with min/max from values')
    t.same(hpa?.spec?.metrics?.map((m) => [m.resource?.name, m.resource?.target.type]), [['cpu', 'Utilization'], ['memory', 'Utilization']], 'HPA on CPU and memory')
    t.ok((hpa?.spec?.behavior?.scaleDown?.stabilizationWindowSeconds ?? 0) > 0, 'scale-down stabilisation')
  } else {
    t.equal(hpa, undefined, 'no HPA when autoscaling is off')
    t.ok(deployment.spec!.replicas, 'fixed replicas')
  }

  const pdb = find(manifests, 'PodDisruptionBudget', full)
  t.same(pdb?.spec?.selector?.matchLabels, deployment.spec!.selector.matchLabels, 'PDB selects the pods')
  t.ok(pdb?.spec?.maxUnavailable ?? pdb?.spec?.minAvailable, 'PDB bound')

  const np = find(manifests, 'NetworkPolicy', full)?.spec
  if (t.ok(np, 'NetworkPolicy') && np !== undefined) {
    t.same(np.podSelector?.matchLabels, deployment.spec!.selector.matchLabels, 'selects the pods')
    t.same(np.policyTypes, ['Ingress', 'Egress'], 'ingress and egress restricted')
    t.ok(np.ingress?.every((rule) => rule.ports?.every((p) => p.port === 'http')), 'ingress only to the service port')
    const fromIngressController = np.ingress?.some((rule) => rule.from?.some((peer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'ingress-nginx')) ?? false
    t.equal(fromIngressController, entry.expose === true, entry.expose === true ? 'reachable from the ingress controller' : 'not reachable from outside the release')
    const egressPorts = new Set(np.egress?.flatMap((rule) => rule.ports?.map((p) => p.port) ?? []))
    t.ok(egressPorts.has(53), 'egress to DNS')
    t.ok(egressPorts.has(4222), 'egress to NATS')
    t.equal(egressPorts.has(5432), entry.database?.enabled === true, 'egress to PostgreSQL when it has a database')
  }
  t.match(podLabels, { 'app.kubernetes.io/component': name, 'app.kubernetes.io/instance': releaseName }, 'labels')

  // The Jobs: against the release's own PostgreSQL or NATS an ordinary Job per revision that waits
  // for its server (a post-install hook would deadlock `helm install --wait`); against an external
  // one a pre-install/pre-upgrade hook that does not wait (docs/kubernetes.md, "Start order").
  const jobs = all(manifests, 'Job').filter((j) => j.metadata?.labels?.['app.kubernetes.io/component']?.startsWith(`${name}-`))
  const byComponent = (job: string) => jobs.filter((j) => j.metadata?.labels?.['app.kubernetes.io/component'] === `${name}-${job}`)
  const migrate = byComponent('migrate')
  t.equal(migrate.length, entry.database?.enabled === true ? 1 : 0, 'a migrate Job when it has a database')
  t.equal(byComponent('provision').length, 1, 'a provision Job')
  for (const job of [...migrate, ...byComponent('provision')]) {
    const what = job.metadata!.labels!['app.kubernetes.io/component']!.slice(name.length + 1)
    const command = job.spec?.template.spec?.containers[0]?.command ?? []
    t.same(command.slice(0, 2), ['node', `services/${name}/dist/${what}.js`], `${what}: runs ${what}.js`)
    if (targetsRelease(manifests, job)) {
      t.equal(job.metadata?.name, `${full}-${what}-r1`, `${what}: the release's own server: an ordinary Job named per revision`)
      t.equal(job.metadata?.annotations?.['helm.sh/hook'], undefined, `${what}: not a hook`)
      t.ok(command.includes('--wait'), `${what}: waits for its server`)
    } else {
      t.equal(job.metadata?.name, `${full}-${what}`, `${what}: an external server: a hook Job`)
      t.equal(job.metadata?.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade', `${what}: before the release's objects`)
      t.notOk(command.includes('--wait'), `${what}: fails at once when its server is not there`)
    }
    if (what === 'migrate') t.equal(command[2], 'up', 'migrate up')
  }
  for (const job of jobs) t.match(job.spec?.template.spec?.containers[0]?.securityContext, { readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }, `${job.metadata?.name} hardened`)
}

for (const variant of variants.all) {
  t.test(variant.name, async (t) => {
    const manifests = render(variant)
    const enabled = variants.enabledIn(variant)
    for (const name of enabled) t.test(name, async (t) => checkService(t, manifests, variant, name))

    for (const name of variants.serviceNames.filter((n) => !enabled.includes(n))) {
      t.same(manifests.filter((m) => (m.doc.metadata as { labels?: Record<string, string> }).labels?.['app.kubernetes.io/component']?.startsWith(name)).map((m) => `${m.kind}/${m.name}`), [], `nothing left of ${name}`)
    }

    const test = manifests.find((m) => m.kind === 'Pod' && (m.doc.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/hook'] === 'test')
    const urls = ((test?.doc.spec as { containers?: { command?: string[] }[] } | undefined)?.containers?.[0]?.command ?? []).filter((a) => a.startsWith('http://'))
    t.same(urls, enabled.map((name) => `http://${releaseName}-${name}.${namespace}.svc:${chartServices[name]!.port}/readyz`), 'helm test checks every service\'s /readyz')
    t.ok(manifests.some((m) => m.kind === 'NetworkPolicy' && m.name === `${releaseName}-default-deny`), 'default-deny NetworkPolicy')
  })
}
