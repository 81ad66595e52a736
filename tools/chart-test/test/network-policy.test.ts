// networkPolicy.clientsFrom: peers listed there may call every service's API port, one more
// ingress rule on each service's policy; left empty (the default) the render does not change.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer'
import { all, find } from './lib/objects.js'
import { releaseName, render, type Manifest, type Variant } from './lib/render.js'
import * as variants from './lib/variants.js'

const chartServices = variants.chartServices()

const clients: INetworkPolicyPeer[] = [
  { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'load-generator' } } },
  { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'clients' } }, podSelector: { matchLabels: { app: 'shop' } } },
]

function withValues(name: string, values: object): Variant {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-values-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'values.yaml')
  writeFileSync(file, JSON.stringify(values))
  return { name, args: ['-f', file] }
}

const withClients = withValues('clientsFrom set', { networkPolicy: { clientsFrom: clients } })

/** Every NetworkPolicy that is not one service's own. */
function otherPolicies(manifests: readonly Manifest[]): unknown[] {
  const own = new Set(variants.serviceNames.map((name) => `${releaseName}-${name}`))
  return manifests.filter((m) => m.kind === 'NetworkPolicy' && !own.has(m.name)).map((m) => m.doc)
}

t.test('with clientsFrom, every service admits the peers on its API port', async (t) => {
  const manifests = render(withClients)
  for (const name of variants.serviceNames) {
    const rules = find(manifests, 'NetworkPolicy', `${releaseName}-${name}`)?.spec?.ingress ?? []
    const admitting = rules.filter((rule) => JSON.stringify(rule.from) === JSON.stringify(clients))
    t.same(admitting.map((rule) => rule.ports), [[{ port: 'http' }]], `${name}: one rule, the peers as given, to the http port`)
  }
  t.same(otherPolicies(manifests), otherPolicies(render(variants.defaults)), 'the other policies are unchanged')
})

t.test('by default nothing more is admitted', async (t) => {
  const manifests = render(variants.defaults)
  // Whole renders differ run to run (generated passwords), the policies must not.
  t.same(all(render(withValues('clientsFrom empty', { networkPolicy: { clientsFrom: [] } })), 'NetworkPolicy'), all(manifests, 'NetworkPolicy'), 'the same policies as with clientsFrom: []')
  for (const name of variants.serviceNames) {
    const rules = find(manifests, 'NetworkPolicy', `${releaseName}-${name}`)?.spec?.ingress ?? []
    // The helm-test pod, Prometheus, and for exposed services the ingress controller.
    t.equal(rules.length, chartServices[name]?.expose === true ? 3 : 2, `${name}: only the test pod, metrics and (if exposed) ingress rules`)
  }
})
