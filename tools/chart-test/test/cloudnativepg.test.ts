// postgresql.mode=cloudnativepg: a CloudNativePG Cluster, a Database per service, a ScheduledBackup,
// each valid against CloudNativePG's own CRD schemas (@kubernetes-models/cloudnative-pg, through
// kube-schemas.test.ts as well), and every service's DATABASE_URL put together from the Secret
// the operator generates, on the cluster's read-write Service.
import t from 'tap'
import type { ICluster } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster'
import type { IDatabase } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Database'
import type { IScheduledBackup } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/ScheduledBackup'
import { validateManifest } from './lib/kube-validate.js'
import { all, find } from './lib/objects.js'
import { namespace, releaseName, render, type Manifest } from './lib/render.js'
import * as variants from './lib/variants.js'

const cluster = `${releaseName}-postgresql`
const manifests = render(variants.productionValues)
const docs = <T>(kind: string): T[] => manifests.filter((m) => m.kind === kind).map((m) => m.doc as T)
const withDatabase = variants.serviceNames.filter((n) => variants.chartServices()[n]?.database?.enabled === true)

t.test('the Cluster, the Databases and the ScheduledBackup pass CloudNativePG\'s schemas', async (t) => {
  const cnpg = manifests.filter((m) => m.apiVersion === 'postgresql.cnpg.io/v1')
  t.same(cnpg.map((m) => m.kind).sort(), ['Cluster', ...withDatabase.map(() => 'Database'), 'ScheduledBackup'].sort())
  t.same((await Promise.all(cnpg.map((m) => validateManifest(m)))).flat(), [], 'no schema errors, no unknown fields')
  const broken: Manifest = { source: 'test', apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'broken', doc: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'broken' }, spec: { instances: 3, storage: { size: '1Gi' }, backup: { retentionPolicy: '30 days', barmanObjectStor: {} } } } }
  const problems = (await validateManifest(broken)).map((p) => p.problem)
  t.ok(problems.some((p) => p.includes('retentionPolicy')), 'a wrong value is caught by the CRD schema')
})

t.test('the Cluster: instances, storage and backups from values', async (t) => {
  const [spec] = docs<ICluster>('Cluster').map((c) => c.spec)
  t.equal(spec?.instances, 3)
  t.match(spec?.bootstrap?.initdb, { database: 'app', owner: 'app' }, 'the application user the services connect as')
  t.equal(spec?.storage?.size, '20Gi')
  t.match(spec?.backup, {
    retentionPolicy: '30d',
    barmanObjectStore: {
      destinationPath: 's3://orderflow-backups/production',
      s3Credentials: { accessKeyId: { name: 'orderflow-backup-s3', key: 'ACCESS_KEY_ID' }, secretAccessKey: { name: 'orderflow-backup-s3', key: 'ACCESS_SECRET_KEY' } },
    },
  })
  const [scheduled] = docs<IScheduledBackup>('ScheduledBackup')
  t.match(scheduled?.spec, { cluster: { name: cluster }, method: 'barmanObjectStore', schedule: '0 0 3 * * *', immediate: true })
  const noBackups = render({ name: 'cnpg without backups', args: [...variants.productionValues.args, '--set', 'postgresql.cloudnativepg.backup.enabled=false'] })
  t.notOk(noBackups.some((m) => m.kind === 'ScheduledBackup') || (noBackups.find((m) => m.kind === 'Cluster')?.doc as ICluster | undefined)?.spec?.backup, 'backups off: neither')
})

t.test('one Database per service with a database, owned by the application user', async (t) => {
  const databases = docs<IDatabase>('Database')
  t.same(databases.map((d) => d.spec.name).sort(), [...withDatabase].sort())
  for (const d of databases) t.match(d.spec, { cluster: { name: cluster }, owner: 'app', ensure: 'present', databaseReclaimPolicy: 'retain' }, d.spec.name)
})

t.test('each service and its migrate Job: DATABASE_URL from the operator\'s Secret, on the read-write Service', async (t) => {
  for (const name of withDatabase) {
    const deployment = find(manifests, 'Deployment', `${releaseName}-${name}`)!.spec!.template.spec!.containers[0]!
    const migrate = all(manifests, 'Job').find((j) => j.metadata?.name === `${releaseName}-${name}-migrate-r1`)?.spec?.template.spec?.containers[0]
    for (const [what, container] of [['Deployment', deployment], ['migrate Job', migrate]] as const) {
      const env = container?.env ?? []
      t.same(env.slice(0, 2).map((e) => [e.name, e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.key]), [['PGUSER', `${cluster}-app`, 'username'], ['PGPASSWORD', `${cluster}-app`, 'password']], `${name} ${what}: user and password from ${cluster}-app`)
      t.equal(env[2]?.name, 'DATABASE_URL')
      t.equal(env[2]?.value, `postgres://$(PGUSER):$(PGPASSWORD)@${cluster}-rw.${namespace}.svc:5432/${name}`, `${name} ${what}: its own database on ${cluster}-rw`)
      t.notOk(container?.envFrom?.some((e) => e.secretRef?.name?.endsWith('-database')), `${name} ${what}: no DATABASE_URL Secret of the chart's`)
    }
    t.same(migrate?.command?.slice(2), ['up', '--wait'], `${name}: waits for the cluster and its Database; creates none itself`)
  }
  t.notOk(manifests.some((m) => m.kind === 'Secret' && m.name.endsWith('-database')), 'the chart renders no DATABASE_URL Secrets')
  t.notOk(manifests.some((m) => m.kind === 'StatefulSet'), 'no development PostgreSQL')
})

t.test('NetworkPolicies: services with a database and the Jobs reach the cluster\'s pods', async (t) => {
  const reachesCluster = (policy: string) => {
    const egress = (manifests.find((m) => m.kind === 'NetworkPolicy' && m.name === policy)?.doc as { spec: { egress: { to?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port: number }[] }[] } }).spec.egress
    return egress.some((r) => r.to?.some((p) => p.podSelector?.matchLabels?.['cnpg.io/cluster'] === cluster) && r.ports?.some((p) => p.port === 5432))
  }
  for (const name of withDatabase) t.ok(reachesCluster(`${releaseName}-${name}`), name)
  t.ok(reachesCluster(`${releaseName}-jobs`), 'the Jobs')
})
