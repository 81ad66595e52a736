// The renders the tests check: the defaults, kind, every optional feature on, a production-shaped
// install, and each service switched off in turn.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { chartDir, repoRoot, type Variant } from './render.js'

interface ServiceEntry {
  readonly port: number
  readonly database?: { readonly enabled?: boolean }
  readonly expose?: boolean
}

/** The chart's `services` map from values.yaml. */
export function chartServices(): Record<string, ServiceEntry> {
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { services: Record<string, ServiceEntry> }
  return values.services
}

export const serviceNames = Object.keys(chartServices()).sort()

export const defaults: Variant = { name: 'defaults', args: [] }

export const kind: Variant = { name: 'kind', args: ['-f', join(repoRoot, 'kind/values.yaml')] }

/** Everything optional on: Ingress, HTTPRoute, Prometheus operator objects, dashboards, the NATS dependency, dev PostgreSQL. */
export const allFeatures: Variant = {
  name: 'all features',
  args: [
    '--api-versions', 'monitoring.coreos.com/v1',
    '--api-versions', 'gateway.networking.k8s.io/v1',
    '--set', 'nats.enabled=true,nats.auth.enabled=true',
    '--set', 'ingress.enabled=true,ingress.className=nginx,ingress.tlsSecret=orderflow-tls',
    '--set', 'gateway.enabled=true,gateway.parentRefs[0].name=public,gateway.parentRefs[0].namespace=gateways',
    '--set', 'metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true',
    '--set', 'dashboards.enabled=true',
    '--set', 'image.pullSecrets={regcred}',
    '--set', 'networkPolicy.extraEgress[0].ports[0].port=4318',
  ],
}

/** External PostgreSQL and NATS, RS256 tokens, existing Secrets, one service without autoscaling. */
export const production: Variant = {
  name: 'production',
  args: [
    '--set', 'postgresql.mode=external',
    '--set', 'nats.url=nats://nats-0.nats:4222\\,nats://nats-1.nats:4222',
    '--set', 'auth.jwksUrl=https://id.example.com/.well-known/jwks.json,auth.issuer=https://id.example.com/',
    ...serviceNames.flatMap((name) =>
      name === 'order'
        ? ['--set', `services.${name}.database.existingSecret=order-db`]
        : ['--set', `services.${name}.database.url=postgres://${name}:pw@db.example.com:5432/${name}`],
    ),
    '--set', 'services.notification.autoscaling.enabled=false',
    '--set', 'services.notification.replicas=1',
    '--set-string', 'config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://otel-collector.observability:4318/v1/traces',
  ],
}

/**
 * charts/orderflow/values-production.yaml: PostgreSQL as a CloudNativePG cluster with backups, the
 * official NATS chart as a three-server cluster on file storage, streams replicated three times.
 */
export const productionValues: Variant = {
  name: 'values-production.yaml',
  args: [
    '-f', join(chartDir, 'values-production.yaml'),
    '--api-versions', 'postgresql.cnpg.io/v1',
    '--api-versions', 'monitoring.coreos.com/v1',
  ],
}

export const withoutEach: Variant[] = serviceNames.map((name) => ({ name: `without ${name}`, args: ['--set', `services.${name}.enabled=false`] }))

export const all: Variant[] = [defaults, kind, allFeatures, production, productionValues, ...withoutEach]

/** Services enabled in a variant. */
export function enabledIn(variant: Variant): string[] {
  return serviceNames.filter((name) => !variant.args.includes(`services.${name}.enabled=false`))
}
