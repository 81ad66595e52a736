// One source of truth: the names, ports and databases in the chart match what the services
// declare. For every service with a definition (src/service.ts), every environment variable the
// chart sets is one its config schema reads, and every setting it cannot start without is set.
import t from 'tap'
import { all, environmentOf, find } from './lib/objects.js'
import { releaseName, render } from './lib/render.js'
import { configKeys, serviceFolders } from './lib/services.js'
import * as variants from './lib/variants.js'

const folders = serviceFolders()
const chartServices = variants.chartServices()

t.test('every service folder has a values entry with its port and database', async (t) => {
  for (const s of folders) {
    const entry = chartServices[s.name]
    if (!t.ok(entry, `services.${s.name} in values.yaml`) || entry === undefined) continue
    t.equal(entry.port, s.port, `${s.name}: port ${s.port} as in its package.json`)
    t.equal(entry.database?.enabled === true, s.database, `${s.name}: database ${s.database} as in its package.json`)
  }
  t.same(Object.keys(chartServices).filter((n) => !folders.some((s) => s.name === n)), [], 'no values entry without a service folder')
})

const defined = folders.filter((s) => s.hasDefinition)
t.comment(`services with a definition: ${defined.map((s) => s.name).join(', ')}; still without: ${folders.filter((s) => !s.hasDefinition).map((s) => s.name).join(', ') || 'none'}`)

/**
 * Variables that only make up another one through Kubernetes' `$(NAME)` expansion (CloudNativePG:
 * DATABASE_URL from the operator's user and password), each defined before the one that uses it.
 */
function composedFrom(container: { env?: { name: string; value?: string }[] }): Set<string> {
  const env = container.env ?? []
  return new Set(env.flatMap((e, i) => [...(e.value ?? '').matchAll(/\$\(([A-Z_][A-Z0-9_]*)\)/g)].map((m) => m[1]!).filter((ref) => env.slice(0, i).some((d) => d.name === ref))))
}

// Existing Secrets named in the production variant hold the keys the chart documents.
const externalSecrets = { 'order-db': ['DATABASE_URL'] }

for (const service of defined) {
  t.test(service.name, async (t) => {
    const schema = await configKeys(service.name)
    t.equal(schema.portDefault, service.port, 'PORT default in the config schema matches package.json')
    for (const variant of variants.all.filter((v) => variants.enabledIn(v).includes(service.name))) {
      const manifests = render(variant)
      const full = `${releaseName}-${service.name}`
      const container = find(manifests, 'Deployment', full)?.spec?.template.spec?.containers[0]
      if (!t.ok(container, `${variant.name}: Deployment`) || container === undefined) continue
      const { names } = environmentOf(manifests, container, externalSecrets)
      const parts = composedFrom(container)
      t.same([...names].filter((n) => !schema.all.has(n) && !parts.has(n)), [], `${variant.name}: every variable the chart sets is read by the service (or makes up one that is)`)
      t.same([...schema.mandatory].filter((n) => !names.has(n)), [], `${variant.name}: every setting without a default is set`)

      for (const job of all(manifests, 'Job').filter((j) => j.metadata?.name?.startsWith(`${full}-`))) {
        const jobContainer = job.spec!.template.spec!.containers[0]!
        const jobEnv = environmentOf(manifests, jobContainer, externalSecrets)
        const jobParts = composedFrom(jobContainer)
        t.same([...jobEnv.names].filter((n) => !schema.all.has(n) && !jobParts.has(n)), [], `${variant.name}: ${job.metadata?.name} sets only names the service reads`)
      }
    }
  })
}
