// values.schema.json accepts the chart's values files and rejects misspelt keys and wrong types,
// as `helm install` does (it validates the values merged over values.yaml).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { chartDir, repoRoot } from './lib/render.js'

type Values = Record<string, unknown>

const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as object
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema)
const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Values

function isObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Helm's coalescing: maps merge, anything else replaces; `null` deletes. */
function merge(base: Values, over: Values): Values {
  const out: Values = { ...base }
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k]
    else out[k] = isObject(v) && isObject(out[k]) ? merge(out[k], v) : v
  }
  return out
}

/** The values Helm validates: defaults, the overrides, and the keys Helm adds for globals and the library chart. */
function errorsFor(override: Values): string[] {
  const values = merge(merge(defaults, override), { global: {}, 'orderflow-lib': { global: {} } })
  return validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
}

/** The override fails validation with an error matching `expected`. */
function rejects(t: Test, override: Values, expected: RegExp, what: string): void {
  const errors = errorsFor(override)
  t.ok(errors.some((e) => expected.test(e)), what, { errors })
}

t.test('the values files validate', async (t) => {
  t.same(errorsFor({}), [], 'values.yaml')
  t.same(errorsFor(parse(readFileSync(join(repoRoot, 'kind/values.yaml'), 'utf8')) as Values), [], 'kind/values.yaml')
  t.same(errorsFor(parse(readFileSync(join(chartDir, 'values-production.yaml'), 'utf8')) as Values), [], 'values-production.yaml')
})

t.test('PostgreSQL: one explicit mode, and CloudNativePG backups that say where', async (t) => {
  rejects(t, { postgresql: { enabled: false } }, /postgresql .*additionalProperty.*enabled/, 'the old switch fails instead of being ignored (postgresql.mode now)')
  rejects(t, { postgresql: { mode: 'cnpg' } }, /postgresql\/mode must be equal to one of the allowed values/, 'an unknown mode')
  rejects(t, { postgresql: { mode: null } }, /postgresql must have required property 'mode'/, 'no mode')
  for (const mode of ['dev', 'cloudnativepg', 'external']) t.same(errorsFor({ postgresql: { mode } }), [], `mode ${mode}`)
  rejects(t, { postgresql: { cloudnativepg: { backup: { enabled: true } } } }, /backup\/destinationPath must NOT have fewer than 1 characters/, 'backups on without a destination')
  rejects(t, { postgresql: { cloudnativepg: { backup: { enabled: true, destinationPath: 's3://b/p' } } } }, /s3Credentials\/secretName must NOT have fewer than 1 characters/, 'backups on without credentials')
  rejects(t, { postgresql: { cloudnativepg: { backup: { retentionPolicy: '30 days' } } } }, /retentionPolicy must match pattern/, 'a retention CloudNativePG does not read')
  rejects(t, { postgresql: { cloudnativepg: { backup: { schedule: '0 3 * * *' } } } }, /schedule must match pattern/, 'a five-field schedule (CloudNativePG wants seconds first)')
  rejects(t, { postgresql: { cloudnativepg: { instances: 0 } } }, /instances must be >= 1/, 'no instances')
})

t.test('a service scaled to zero, and the Jobs\' limits', async (t) => {
  t.same(errorsFor({ services: { order: { replicas: 0, autoscaling: { enabled: false } } } }), [], 'replicas: 0 is a setting the chart honours')
  rejects(t, { services: { order: { autoscaling: false } } }, /services\/order\/autoscaling must be object/, 'autoscaling: false instead of { enabled: false }')
  rejects(t, { services: { order: { autoscaling: { minReplicas: 0 } } } }, /minReplicas must be >= 1/, 'an HPA needs at least one replica')
  rejects(t, { jobs: { backoffLimit: -1 } }, /jobs\/backoffLimit must be >= 0/, 'a negative backoffLimit')
  rejects(t, { jobs: { activeDeadlineSeconds: 10 } }, /jobs\/activeDeadlineSeconds must be >= 60/, 'a deadline too short to wait for a server')
})

t.test('misspelt keys fail', async (t) => {
  rejects(t, { servises: {} }, /additionalProperty.*servises/, 'top level')
  rejects(t, { services: { order: { replicaCount: 3 } } }, /services\/order .*replicaCount/, 'in a service')
  rejects(t, { serviceDefaults: { autoscaling: { maxReplica: 3 } } }, /autoscaling .*maxReplica/, 'deep in serviceDefaults')
  rejects(t, { networkPolicy: { enable: false } }, /networkPolicy .*enable/, 'in a feature switch')
  rejects(t, { ingress: { domain: 'example.com' } }, /ingress .*domain/, 'the old per-service domain (one host now: ingress.host)')
  rejects(t, { networkPolicy: { jwksEgress: { cidr: '10.0.0.0/8' } } }, /jwksEgress .*cidr/, 'jwksEgress takes peers in `to`')
  rejects(t, { rateLimits: { writesPerSecond: 10 } }, /rateLimits .*writesPerSecond/, 'the limits are per minute')
  rejects(t, { services: { Order: { enabled: true, port: 8081 } } }, /property name/, 'a service name that is not a short lowercase word')
})

t.test('wrong types fail', async (t) => {
  rejects(t, { services: { order: { port: '8081' } } }, /services\/order\/port must be integer/, 'port as a string')
  rejects(t, { ingress: { enabled: 'yes' } }, /ingress\/enabled must be boolean/, 'a switch as a string')
  rejects(t, { ingress: { rateLimit: { rps: '20' } } }, /rateLimit\/rps must be integer/, 'a rate limit as a string')
  rejects(t, { rateLimits: { readsPerMinute: -1 } }, /rateLimits\/readsPerMinute must be >= 0/, 'a negative per-caller limit')
  rejects(t, { rateLimits: { adminPerMinute: 1.5 } }, /rateLimits\/adminPerMinute must be integer/, 'a fractional per-caller limit')
  rejects(t, { rateLimits: { enabled: 'false' } }, /rateLimits\/enabled must be boolean/, 'the switch as a string')
  rejects(t, { rateLimits: { writesPerMinute: null } }, /rateLimits must have required property 'writesPerMinute'/, 'a limit deleted with null (it would render as 0: no limit)')
  rejects(t, { services: { order: { paths: ['v1/orders'] } } }, /paths\/0 must match pattern/, 'a path without its leading slash')
  rejects(t, { gateway: { parentRefs: [{ namespace: 'gateways' }] } }, /parentRefs\/0 must have required property 'name'/, 'a parentRef without a name')
  rejects(t, { config: { STREAM_REPLICAS: 3 } }, /config\/STREAM_REPLICAS must be string/, 'env values are strings (use --set-string)')
  rejects(t, { services: { order: { database: { url: 'mysql://x' } } } }, /database\/url must match pattern/, 'a database URL that is not PostgreSQL')
})
