// auth.jwksUrl: the services fetch signing keys from it, so with it set every service's
// NetworkPolicy allows egress to its port (the URL's, or networkPolicy.jwksEgress.port) and to the
// peers in networkPolicy.jwksEgress.to (any destination when empty); without it, no such rule.
import t from 'tap'
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule'
import { find } from './lib/objects.js'
import { releaseName, render, type Manifest, type Variant } from './lib/render.js'
import * as variants from './lib/variants.js'

/** The egress ports of every policy besides DNS, NATS and PostgreSQL. */
const baseline = new Set([53, 4222, 5432])

function jwks(name: string, ...set: string[]): Variant {
  return { name, args: set.flatMap((s) => ['--set', s]) }
}

function serviceEgress(manifests: readonly Manifest[], name: string): INetworkPolicyEgressRule[] {
  return find(manifests, 'NetworkPolicy', `${releaseName}-${name}`)?.spec?.egress ?? []
}

/** Rules that open a port outside DNS, NATS and PostgreSQL. */
function extraRules(rules: readonly INetworkPolicyEgressRule[]): INetworkPolicyEgressRule[] {
  return rules.filter((rule) => (rule.ports ?? []).some((p) => !baseline.has(Number(p.port))))
}

function otherPolicies(manifests: readonly Manifest[]): unknown[] {
  const own = new Set(variants.serviceNames.map((name) => `${releaseName}-${name}`))
  return manifests.filter((m) => m.kind === 'NetworkPolicy' && !own.has(m.name)).map((m) => m.doc)
}

t.test('without auth.jwksUrl no service may leave for anything but DNS, NATS and PostgreSQL', async (t) => {
  for (const variant of [variants.defaults, variants.kind]) {
    for (const name of variants.enabledIn(variant)) t.same(extraRules(serviceEgress(render(variant), name)), [], `${variant.name}: ${name}`)
  }
})

t.test('with auth.jwksUrl every service may reach its port', async (t) => {
  const cases: [Variant, INetworkPolicyEgressRule][] = [
    [variants.production, { ports: [{ port: 443, protocol: 'TCP' }] }],
    [jwks('https with a port', 'auth.jwksUrl=https://id.example.com:8443/.well-known/jwks.json'), { ports: [{ port: 8443, protocol: 'TCP' }] }],
    [jwks('http', 'auth.jwksUrl=http://keycloak.auth.svc/realms/x/protocol/openid-connect/certs'), { ports: [{ port: 80, protocol: 'TCP' }] }],
    [jwks('port from values', 'auth.jwksUrl=https://id.example.com/jwks', 'networkPolicy.jwksEgress.port=3128'), { ports: [{ port: 3128, protocol: 'TCP' }] }],
    [
      jwks('peers from values', 'auth.jwksUrl=https://id.example.com/jwks', 'networkPolicy.jwksEgress.to[0].ipBlock.cidr=203.0.113.0/24', 'networkPolicy.jwksEgress.to[1].namespaceSelector.matchLabels.team=identity'),
      { ports: [{ port: 443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '203.0.113.0/24' } }, { namespaceSelector: { matchLabels: { team: 'identity' } } }] },
    ],
  ]
  for (const [variant, rule] of cases) {
    const manifests = render(variant)
    for (const name of variants.serviceNames) t.same(extraRules(serviceEgress(manifests, name)), [rule], `${variant.name}: ${name}`)
  }
})

t.test('the JWKS rule is the services\' only: hook Jobs and the test pod do not get it', async (t) => {
  // The production values without the JWKS URL: flag and value pairs, the auth one left out.
  const args = variants.production.args
  const pairs = args.flatMap((flag, i) => (i % 2 === 0 ? [[flag, args[i + 1]!] as const] : []))
  const without = render({ name: 'production without jwksUrl', args: pairs.filter(([, value]) => !value.startsWith('auth.')).flat() })
  t.same(otherPolicies(render(variants.production)), otherPolicies(without), 'the other policies are unchanged')
})
