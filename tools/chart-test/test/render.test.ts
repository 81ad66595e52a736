// The chart renders in every variant with `helm template` (or the offline stand-in), and a
// template error fails the render.
import t from 'tap'
import { chooseRenderer, namespace, releaseName, render, renderNotes, renderRaw, rendererVersion } from './lib/render.js'
import * as variants from './lib/variants.js'

t.comment(`renderer: ${rendererVersion()}`)

for (const variant of variants.all) {
  t.test(`renders: ${variant.name}`, async (t) => {
    const manifests = render(variant)
    t.ok(manifests.length > 0, `${manifests.length} objects`)
    const names = manifests.map((m) => `${m.kind}/${m.name}`)
    t.same(names.filter((n, i) => names.indexOf(n) !== i), [], 'no two objects share kind and name')
  })
}

t.test('a template error fails the render', async (t) => {
  t.throws(() => renderRaw(['--set', 'nats.url=']), /nats\.url is required/, 'required value missing')
  t.throws(
    () => renderRaw(['--set', 'postgresql.mode=external']),
    /needs services\.<name>\.database\.url or database\.existingSecret when postgresql\.mode is external/,
    'a service with a database and nowhere to find it',
  )
  t.throws(() => renderRaw(['--set', 'postgresql.mode=cnpg']), /postgresql\.mode must be dev, cloudnativepg or external, not "cnpg"/, 'an unknown PostgreSQL mode')
  t.throws(
    () => renderRaw(['--set', 'postgresql.mode=cloudnativepg']),
    /needs the CloudNativePG operator \(API postgresql\.cnpg\.io\/v1\)/,
    'CloudNativePG on a cluster without its API',
  )
})

t.test('optional objects follow their switches and the cluster capabilities', async (t) => {
  const kinds = (args: readonly string[]) => new Set(render({ name: 'probe', args }).map((m) => m.kind))
  const defaults = kinds(variants.defaults.args)
  for (const kind of ['Ingress', 'HTTPRoute', 'ServiceMonitor', 'PrometheusRule']) t.notOk(defaults.has(kind), `${kind} off by default`)
  t.ok(defaults.has('StatefulSet'), 'development PostgreSQL on by default')
  const all = kinds(variants.allFeatures.args)
  for (const kind of ['Ingress', 'HTTPRoute', 'ServiceMonitor', 'PrometheusRule']) t.ok(all.has(kind), `${kind} when switched on`)
  const noCrds = kinds(variants.allFeatures.args.filter((a) => !['--api-versions', 'monitoring.coreos.com/v1', 'gateway.networking.k8s.io/v1'].includes(a)))
  t.notOk(noCrds.has('ServiceMonitor'), 'no ServiceMonitor when the cluster lacks monitoring.coreos.com/v1')
  t.notOk(noCrds.has('HTTPRoute'), 'no HTTPRoute when the cluster lacks gateway.networking.k8s.io/v1')
  t.notOk(kinds(variants.production.args).has('StatefulSet'), 'no PostgreSQL when postgresql.mode=external')
  const cnpg = kinds(variants.productionValues.args)
  t.ok(cnpg.has('Cluster') && cnpg.has('Database') && cnpg.has('ScheduledBackup') && !cnpg.has('StatefulSet'), 'a CloudNativePG Cluster, no StatefulSet, with postgresql.mode=cloudnativepg')
})

t.test('the renderer: helm when on PATH, else the stand-in, else a clear error', async (t) => {
  t.equal(chooseRenderer('/nonexistent', () => '/usr/bin/helm').name, 'helm')
  t.throws(() => chooseRenderer('/nonexistent', () => undefined, {}), /no `helm` on PATH, no CHART_RENDER and no stand-in/)
  t.match(chooseRenderer('/nonexistent', () => undefined, { CHART_RENDER: process.execPath }), { name: 'chart-render', command: process.execPath })
  t.throws(() => chooseRenderer('/nonexistent', () => undefined, { CHART_RENDER: '/nonexistent/render' }), /CHART_RENDER=\/nonexistent\/render is not an executable/)
})

t.test('NOTES.txt prints a port-forward for every enabled service', async (t) => {
  for (const variant of [variants.defaults, variants.allFeatures, ...variants.withoutEach.slice(0, 1)]) {
    const notes = renderNotes(variant)
    const ports = variants.chartServices()
    for (const name of variants.serviceNames) {
      const line = `kubectl port-forward -n ${namespace} svc/${releaseName}-${name} ${ports[name]!.port}:${ports[name]!.port}`
      t.equal(notes.includes(line), variants.enabledIn(variant).includes(name), `${variant.name}: ${name}`)
    }
  }
  t.match(renderNotes(variants.defaults), /WARNING: PostgreSQL runs as a single development instance/, 'warns about the development PostgreSQL')
})
