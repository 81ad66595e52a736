// A first install converges under `helm install --wait` (skaffold's `wait: true`): nothing the
// services need waits for the release to be ready. With the release's own PostgreSQL or NATS the
// migrate and provision Jobs are ordinary Jobs named per revision that wait for their server;
// with external ones they are pre-install/pre-upgrade hooks. docs/kubernetes.md, "Start order".
import t from 'tap'
import { all } from './lib/objects.js'
import { releaseName, render, type Manifest } from './lib/render.js'
import * as variants from './lib/variants.js'

const hookOf = (m: Manifest) => (m.doc.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/hook']

for (const variant of variants.all) {
  t.test(`${variant.name}: no hook runs after the release's objects`, async (t) => {
    const manifests = render(variant)
    const late = manifests.filter((m) => /post-(install|upgrade)/.test(hookOf(m) ?? '')).map((m) => `${m.kind}/${m.name}`)
    t.same(late, [], 'no post-install or post-upgrade hooks: under --wait they would run only after the services are ready, which needs them')
    for (const job of all(manifests, 'Job')) {
      const spec = job.spec!
      t.ok((spec.backoffLimit ?? 0) >= 6, `${job.metadata?.name}: retries a failed run (backoffLimit ${spec.backoffLimit})`)
      t.ok((spec.activeDeadlineSeconds ?? 0) >= 600, `${job.metadata?.name}: time to wait for a server that is pulling its image`)
      t.ok(spec.ttlSecondsAfterFinished !== undefined, `${job.metadata?.name}: removed some time after it finished`)
    }
  })
}

t.test('the development PostgreSQL (the default): the migrations start with it and wait for it', async (t) => {
  const manifests = render(variants.defaults)
  const migrations = all(manifests, 'Job').filter((j) => j.metadata?.labels?.['orderflow.io/job'] === undefined && j.spec?.template.metadata?.labels?.['orderflow.io/job'] === 'migrate')
  t.equal(migrations.length, variants.serviceNames.length, 'one per service')
  for (const job of migrations) {
    t.match(job.metadata?.name, /^orderflow-[a-z]+-migrate-r1$/, `${job.metadata?.name}: per revision, so an upgrade creates a new Job instead of patching an immutable one`)
    t.same(job.spec?.template.spec?.containers[0]?.command?.slice(3), ['--create-database', '--wait'], 'creates its database once the server answers')
  }
  const secrets = manifests.filter((m) => m.kind === 'Secret' && m.name.endsWith('-database'))
  t.ok(secrets.every((m) => hookOf(m) === 'pre-install,pre-upgrade'), 'the DATABASE_URL Secrets exist before anything reads them')
  const policy = manifests.find((m) => m.kind === 'NetworkPolicy' && m.name === `${releaseName}-jobs`)?.doc as { spec: { podSelector: { matchExpressions: { key: string }[] } } } | undefined
  t.equal(policy?.spec.podSelector.matchExpressions[0]?.key, 'orderflow.io/job', 'the Jobs\' NetworkPolicy selects them by their label')
})

t.test('external PostgreSQL and NATS: hooks before the release\'s objects, failing at once', async (t) => {
  const manifests = render(variants.production)
  const jobs = manifests.filter((m) => m.kind === 'Job')
  t.ok(jobs.length > 0)
  for (const job of jobs) {
    t.equal(hookOf(job), 'pre-install,pre-upgrade', `${job.name}: a pre-install/pre-upgrade hook`)
    t.notOk((job.doc as { spec: { template: { spec: { containers: { command: string[] }[] } } } }).spec.template.spec.containers[0]!.command.includes('--wait'), `${job.name}: does not wait`)
  }
})

t.test('values-production.yaml: NATS in the release as a three-server cluster, streams on three', async (t) => {
  const manifests = render(variants.productionValues)
  for (const cm of all(manifests, 'ConfigMap').filter((c) => variants.serviceNames.some((n) => c.metadata?.name === `${releaseName}-${n}`))) {
    t.equal(cm.data?.STREAM_REPLICAS, '3', `${cm.metadata?.name}: STREAM_REPLICAS=3`)
    t.equal(cm.data?.NATS_URL, `nats://${releaseName}-nats.orderflow.svc:4222`, `${cm.metadata?.name}: the release's NATS`)
  }
  const provisions = all(manifests, 'Job').filter((j) => j.spec?.template.metadata?.labels?.['orderflow.io/job'] === 'provision')
  t.equal(provisions.length, variants.serviceNames.length)
  for (const job of provisions) {
    const container = job.spec!.template.spec!.containers[0]!
    t.ok(container.command?.includes('--wait') && job.metadata?.annotations === undefined, `${job.metadata?.name}: an ordinary Job that waits for the release's NATS`)
    t.ok(container.env?.some((e) => e.name === 'STREAM_REPLICAS' && e.value === '3'), `${job.metadata?.name}: declares streams with three replicas`)
  }
})
