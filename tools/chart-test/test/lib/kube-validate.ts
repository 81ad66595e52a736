// Validates rendered objects against the Kubernetes OpenAPI schemas (kubernetes-models, whose
// validators come from @kubernetes-models/validate), and catches unknown fields, which those
// validators let through: the OpenAPI schemas do not say `additionalProperties: false`.
import { Ajv } from 'ajv'
import type { Manifest } from './render.js'

interface ValidationIssue {
  readonly instancePath: string
  readonly message?: string
}

type Validate = (doc: unknown) => readonly ValidationIssue[]

interface ModelClass {
  new (data: unknown): { validate(): void }
}

function isModelClass(value: unknown): value is ModelClass {
  return typeof value === 'function' && typeof (value as { prototype?: { validate?: unknown } }).prototype?.validate === 'function'
}

function issuesOf(err: unknown): readonly ValidationIssue[] {
  const errors = (err as { errors?: unknown }).errors
  if (Array.isArray(errors)) return errors as ValidationIssue[]
  throw err
}

const models = new Map<string, Validate | undefined>()

/**
 * API groups whose models are in a package of their own, not in kubernetes-models. CloudNativePG's
 * (Cluster, Database, ScheduledBackup) are generated from its CRDs' OpenAPI schemas.
 */
const modelPackages: Record<string, string> = {
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
  'postgresql.cnpg.io': '@kubernetes-models/cloudnative-pg',
}

/**
 * `kubernetes-models/apps/v1/Deployment` for apps/v1 Deployment, `kubernetes-models/v1/Service` for
 * v1 Service, `@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute` for HTTPRoute.
 */
async function kubernetesModel(apiVersion: string, kind: string): Promise<Validate | undefined> {
  const key = `${apiVersion}/${kind}`
  if (!models.has(key)) {
    let validate: Validate | undefined
    const pkg = modelPackages[apiVersion.split('/')[0] ?? ''] ?? 'kubernetes-models'
    try {
      const mod = (await import(`${pkg}/${apiVersion}/${kind}`)) as Record<string, unknown>
      const Model = mod[kind]
      if (isModelClass(Model)) {
        validate = (doc) => {
          try {
            new Model(doc).validate()
            return []
          } catch (err) {
            return issuesOf(err)
          }
        }
      }
    } catch {
      validate = undefined
    }
    models.set(key, validate)
  }
  return models.get(key)
}

/**
 * The Prometheus operator's objects have no kubernetes-models schema here: these strict schemas
 * cover the fields the chart uses, taken from the operator's CRDs (monitoring.coreos.com/v1).
 */
const ajv = new Ajv({ allErrors: true, strict: true })
const strMap = { type: 'object', additionalProperties: { type: 'string' } }
const objectMeta = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string' }, namespace: { type: 'string' }, labels: strMap, annotations: strMap },
}
const crd = (spec: object) => ({
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: { apiVersion: { const: 'monitoring.coreos.com/v1' }, kind: { type: 'string' }, metadata: objectMeta, spec },
})
/** A Prometheus duration, as the operator's CRDs pattern it (`30s`, `1h30m`). */
const duration = { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' }
const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: { matchLabels: strMap, matchExpressions: { type: 'array' } },
}
const crdSchemas: Record<string, object> = {
  ServiceMonitor: crd({
    type: 'object',
    additionalProperties: false,
    required: ['selector', 'endpoints'],
    properties: {
      jobLabel: { type: 'string' },
      selector: labelSelector,
      namespaceSelector: { type: 'object', additionalProperties: false, properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } } },
      endpoints: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          properties: { port: { type: 'string' }, path: { type: 'string' }, interval: duration, scheme: { enum: ['http', 'https'] } },
        },
      },
    },
  }),
  PrometheusRule: crd({
    type: 'object',
    additionalProperties: false,
    required: ['groups'],
    properties: {
      groups: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'rules'],
          properties: {
            name: { type: 'string', minLength: 1 },
            interval: duration,
            rules: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['expr'],
                properties: {
                  alert: { type: 'string', minLength: 1 },
                  record: { type: 'string', minLength: 1 },
                  expr: { type: 'string', minLength: 1 },
                  for: duration,
                  keep_firing_for: duration,
                  labels: strMap,
                  annotations: strMap,
                },
                // An alerting rule or a recording rule, never both.
                oneOf: [
                  { required: ['alert'], properties: { alert: true } },
                  { required: ['record'], properties: { record: true } },
                ],
              },
            },
          },
        },
      },
    },
  }),
}
const crdValidators = new Map(
  Object.entries(crdSchemas).map(([kind, schema]) => {
    const fn = ajv.compile(schema)
    const validate: Validate = (doc) => (fn(doc) ? [] : (fn.errors ?? []).map((e) => ({ instancePath: e.instancePath, message: e.message })))
    return [kind, validate] as const
  }),
)

/** A value no schema type accepts: a field the schema knows reports an error for it. */
const PROBE = Symbol('probe')

function pointer(path: readonly (string | number)[]): string {
  return path.map((p) => '/' + String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('')
}

function setAt(root: unknown, path: readonly (string | number)[], value: unknown): void {
  let cur = root as Record<string | number, unknown>
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>
  cur[path[path.length - 1]!] = value
}

const knownPaths = new Map<string, boolean>()

/**
 * Fields the schema does not know. Each field in turn gets a value of no JSON type: a field the
 * schema describes then fails validation at (or under) its own path; an unknown one passes. The
 * answer per kind and path (array indexes folded) is remembered, so repeated renders cost little.
 */
function unknownFields(kindKey: string, doc: Record<string, unknown>, validate: Validate): string[] {
  const unknown: string[] = []
  const visit = (value: unknown, path: (string | number)[]): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...path, i]))
      return
    }
    if (typeof value !== 'object' || value === null) return
    for (const key of Object.keys(value)) {
      const at = [...path, key]
      const ptr = pointer(at)
      const cacheKey = `${kindKey}${pointer(at.map((p) => (typeof p === 'number' ? '*' : p)))}`
      let known = knownPaths.get(cacheKey)
      if (known === undefined) {
        const copy: unknown = structuredClone(doc)
        setAt(copy, at, PROBE)
        known = validate(copy).some((issue) => issue.instancePath === ptr || issue.instancePath.startsWith(ptr + '/'))
        knownPaths.set(cacheKey, known)
      }
      if (known) visit((value as Record<string, unknown>)[key], at)
      else unknown.push(ptr)
    }
  }
  visit(doc, [])
  return unknown
}

export interface Problem {
  readonly object: string
  readonly problem: string
}

/** Schema errors and unknown fields of one object; an object of a kind with no schema is a problem too. */
export async function validateManifest(m: Pick<Manifest, 'apiVersion' | 'kind' | 'name' | 'doc'>): Promise<Problem[]> {
  const object = `${m.kind}/${m.name}`
  const validate = crdValidators.get(m.kind) ?? (await kubernetesModel(m.apiVersion, m.kind))
  if (validate === undefined) return [{ object, problem: `no schema for ${m.apiVersion} ${m.kind}` }]
  const problems = validate(m.doc).map((issue) => ({ object, problem: `${issue.instancePath || '/'} ${issue.message ?? 'is invalid'}` }))
  if (problems.length > 0) return problems
  return unknownFields(`${m.apiVersion}/${m.kind}`, m.doc, validate).map((ptr) => ({ object, problem: `${ptr} is not a field of ${m.apiVersion} ${m.kind}` }))
}
