// The edge: every API under one host, routed by path to the service that serves it, by the
// Ingress (with ingress-nginx rate limits) or by a Gateway API HTTPRoute; the paths are the ones
// the services really register.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import type { IService } from 'kubernetes-models/v1/Service'
import type { IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute'
import { validateManifest } from './lib/kube-validate.js'
import { releaseName, render, renderRaw, repoRoot, type Manifest, type Variant } from './lib/render.js'
import * as variants from './lib/variants.js'

const chartServices = variants.chartServices() as Record<string, { port: number; expose?: boolean; paths?: string[] }>
const gatewayApi = ['--api-versions', 'gateway.networking.k8s.io/v1']

/**
 * The first path segment of every route a file registers: literals at the start of a line (the
 * `app.get(\n  '/orders/:id',` shape of the route files) or right after `.get(` and friends.
 */
function routeSegments(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found = [...text.matchAll(/(?:^\s+|\.(?:get|post|put|patch|delete|route)\(\s*|url:\s*)'(\/[^'/:]+)/gm)].map((m) => m[1]!)
  return [...new Set(found)]
}

/** `/v1/<segment>` of each route of a service: its routes/*.routes.ts, plus the dead-letter API where it has one. */
function servedPrefixes(name: string): string[] {
  const dir = join(repoRoot, 'services', name, 'src')
  const definition = readFileSync(join(dir, 'service.ts'), 'utf8')
  const files = readdirSync(join(dir, 'routes')).filter((f) => f.endsWith('.routes.ts')).map((f) => join(dir, 'routes', f))
  if (/deadLetterApi:\s*true/.test(definition)) files.push(join(repoRoot, 'libs/runtime/src/dead-letters.routes.ts'))
  // Several route files may share a prefix (inventory's stock and price lists are both /inventory…).
  return [...new Set(files.flatMap(routeSegments).map((segment) => `/v1${segment}`))].sort()
}

function only<T>(manifests: readonly Manifest[], kind: string): T | undefined {
  const found = manifests.filter((m) => m.kind === kind)
  return found.length === 1 ? (found[0]!.doc as T) : undefined
}

const withIngress: Variant = { name: 'ingress on', args: ['--set', 'ingress.enabled=true,ingress.className=nginx,ingress.host=api.example.com'] }

t.test('the chart routes exactly the paths each exposed service registers, under /v1', async (t) => {
  for (const name of variants.serviceNames) {
    t.same([...(chartServices[name]?.paths ?? [])].sort(), servedPrefixes(name), `${name}: services.${name}.paths`)
  }
})

t.test('the Ingress: one host, each path to its service, rate limits from values', async (t) => {
  const manifests = render(withIngress)
  const ingress = only<IIngress>(manifests, 'Ingress')
  if (!t.ok(ingress, 'one Ingress') || ingress === undefined) return
  t.same(await validateManifest({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'ingress', doc: ingress as unknown as Record<string, unknown> }), [], 'valid against the Kubernetes schema')
  t.same(ingress.spec?.rules?.map((r) => r.host), ['api.example.com'], 'one rule, one host')
  const routed = (ingress.spec?.rules?.[0]?.http?.paths ?? []).map((p) => `${p.pathType} ${p.path} → ${p.backend.service?.name}:${p.backend.service?.port?.name}`).sort()
  const expected = variants.serviceNames
    .filter((name) => chartServices[name]?.expose === true)
    .flatMap((name) => (chartServices[name]?.paths ?? []).map((path) => `Prefix ${path} → ${releaseName}-${name}:http`))
    .sort()
  t.same(routed, expected, 'every exposed service path, by prefix, to the service port')
  t.ok(routed.includes(`Prefix /v1/dead-letters → ${releaseName}-order:http`), 'the dead-letter API goes to order')
  t.same(ingress.metadata?.annotations, {
    'nginx.ingress.kubernetes.io/limit-rps': '20',
    'nginx.ingress.kubernetes.io/limit-burst-multiplier': '5',
    'nginx.ingress.kubernetes.io/limit-connections': '50',
  }, 'ingress-nginx limits, the defaults')

  const tuned = only<IIngress>(render({ name: 'limits tuned', args: [...withIngress.args, '--set', 'ingress.rateLimit.rps=5,ingress.rateLimit.burstMultiplier=2,ingress.rateLimit.connections=0', '--set', 'ingress.annotations.a\\.example/x=y'] }), 'Ingress')
  t.same(tuned?.metadata?.annotations, {
    'a.example/x': 'y',
    'nginx.ingress.kubernetes.io/limit-rps': '5',
    'nginx.ingress.kubernetes.io/limit-burst-multiplier': '2',
  }, 'values set the limits, 0 turns one off, own annotations are kept')
  const off = only<IIngress>(render({ name: 'limits off', args: [...withIngress.args, '--set', 'ingress.rateLimit.rps=0,ingress.rateLimit.connections=0'] }), 'Ingress')
  t.equal(off?.metadata?.annotations, undefined, 'no limits, no annotations')
  const tls = only<IIngress>(render({ name: 'tls', args: [...withIngress.args, '--set', 'ingress.tlsSecret=api-tls'] }), 'Ingress')
  t.same(tls?.spec?.tls, [{ secretName: 'api-tls', hosts: ['api.example.com'] }], 'TLS for the one host')
})

t.test('a service switched off or not exposed is not routed', async (t) => {
  const without = only<IIngress>(render({ name: 'ingress without order', args: [...withIngress.args, '--set', 'services.order.enabled=false'] }), 'Ingress')
  t.notOk(JSON.stringify(without).includes('/v1/orders'), 'order off: no /v1/orders')
  const hidden = only<IIngress>(render({ name: 'ingress, payment hidden', args: [...withIngress.args, '--set', 'services.payment.expose=false'] }), 'Ingress')
  t.notOk(JSON.stringify(hidden).includes('/v1/payments'), 'payment not exposed: no /v1/payments')
})

t.test('the HTTPRoute: the same host and paths, to the Service ports, on the given Gateway', async (t) => {
  const manifests = render(variants.allFeatures)
  const route = only<IHTTPRoute>(manifests, 'HTTPRoute')
  const ingress = only<IIngress>(manifests, 'Ingress')
  if (!t.ok(route, 'one HTTPRoute') || route === undefined) return
  t.same(await validateManifest({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', name: 'route', doc: route as unknown as Record<string, unknown> }), [], 'valid against the Gateway API schema')
  t.same(route.spec.parentRefs, [{ name: 'public', namespace: 'gateways' }], 'attached to gateway.parentRefs')
  t.same(route.spec.hostnames, ['orderflow.example.com'], 'hostnames default to ingress.host')
  const servicePort = (name: string) => (manifests.find((m) => m.kind === 'Service' && m.name === name)?.doc as IService | undefined)?.spec?.ports?.find((p) => p.name === 'http')?.port
  const routed = (route.spec.rules ?? []).map((r) => {
    const backend = r.backendRefs?.[0]
    t.equal(r.backendRefs?.length, 1, `${r.matches?.[0]?.path?.value}: one backend`)
    t.equal(backend?.port, servicePort(String(backend?.name)), `${r.matches?.[0]?.path?.value}: the Service's http port`)
    return `${r.matches?.[0]?.path?.type} ${r.matches?.[0]?.path?.value} → ${backend?.name}`
  })
  const ingressRouted = (ingress?.spec?.rules?.[0]?.http?.paths ?? []).map((p) => `PathPrefix ${p.path} → ${p.backend.service?.name}`)
  t.same(routed.sort(), ingressRouted.sort(), 'the same routes as the Ingress')

  const hosts = only<IHTTPRoute>(render({ name: 'gateway hostnames', args: [...gatewayApi, '--set', 'gateway.enabled=true,gateway.parentRefs[0].name=gw,gateway.hostnames={a.example.com,b.example.com}'] }), 'HTTPRoute')
  t.same(hosts?.spec.hostnames, ['a.example.com', 'b.example.com'], 'gateway.hostnames when given')
  t.throws(() => renderRaw([...gatewayApi, '--set', 'gateway.enabled=true']), /gateway\.parentRefs/, 'no Gateway to attach to is an error')
})
