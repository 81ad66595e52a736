// rateLimits: the services' own per-caller limits reach every service's ConfigMap as the
// RATE_LIMIT_* settings they read; a service's env overrides them for that service alone, and a
// change rolls the pods.
import t from 'tap'
import { find } from './lib/objects.js'
import { releaseName, render, type Variant } from './lib/render.js'
import * as variants from './lib/variants.js'

/** The RATE_LIMIT_* entries of each service's ConfigMap. */
function limitsIn(variant: Variant): Record<string, Record<string, string>> {
  const manifests = render(variant)
  return Object.fromEntries(
    variants.serviceNames.map((name) => {
      const data = find(manifests, 'ConfigMap', `${releaseName}-${name}`)?.data ?? {}
      return [name, Object.fromEntries(Object.entries(data).filter(([key]) => key.startsWith('RATE_LIMIT_')))]
    }),
  )
}

function checksum(variant: Variant, name: string): string | undefined {
  return find(render(variant), 'Deployment', `${releaseName}-${name}`)?.spec?.template.metadata?.annotations?.['checksum/config']
}

const defaults = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_READS_PER_MINUTE: '1200',
  RATE_LIMIT_WRITES_PER_MINUTE: '600',
  RATE_LIMIT_ADMIN_PER_MINUTE: '120',
}

t.test('by default every service gets the documented limits', async (t) => {
  const limits = limitsIn(variants.defaults)
  for (const name of variants.serviceNames) t.same(limits[name], defaults, name)
})

t.test('values set them for every service; 0 and false come through', async (t) => {
  const tuned: Variant = {
    name: 'rate limits tuned',
    args: ['--set', 'rateLimits.enabled=false,rateLimits.readsPerMinute=5000,rateLimits.writesPerMinute=0,rateLimits.adminPerMinute=30'],
  }
  const limits = limitsIn(tuned)
  for (const name of variants.serviceNames) {
    t.same(limits[name], {
      RATE_LIMIT_ENABLED: 'false',
      RATE_LIMIT_READS_PER_MINUTE: '5000',
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
      RATE_LIMIT_ADMIN_PER_MINUTE: '30',
    }, name)
  }
  t.not(checksum(tuned, 'order'), checksum(variants.defaults, 'order'), 'a change rolls the pods (checksum/config)')
})

t.test("a service's env overrides them for that service alone", async (t) => {
  const orderOwn: Variant = { name: 'order writes its own', args: ['--set-string', 'services.order.env.RATE_LIMIT_WRITES_PER_MINUTE=3000'] }
  const limits = limitsIn(orderOwn)
  t.same(limits.order, { ...defaults, RATE_LIMIT_WRITES_PER_MINUTE: '3000' }, 'order')
  t.same(limits.inventory, defaults, 'inventory keeps the shared ones')
})

t.test('the kind cluster keeps them on, far above what its k6 runs send', async (t) => {
  const limits = limitsIn(variants.kind)
  for (const name of variants.serviceNames) {
    t.equal(limits[name]?.RATE_LIMIT_ENABLED, 'true', `${name}: on`)
    t.ok(Number(limits[name]?.RATE_LIMIT_WRITES_PER_MINUTE) >= 1_000_000, `${name}: writes`)
  }
})
