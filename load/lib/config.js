// What every load script shares: where the services are, the bearer token, the pass/fail
// thresholds and the HTTP checks. Read in the init context, so a bad setting stops k6 before the
// first request.
//
// Syntax: k6 before v0.52 turns ES modules into CommonJS with its bundled Babel 6, which cannot
// parse object spread (`{ ...a }`), `?.`, `??`, `catch {}` or numeric separators (grafana/k6#3265).
// These scripts must run on v0.49, so they use Object.assign and the older forms instead.
import crypto from 'k6/crypto'
import encoding from 'k6/encoding'

/** The order service (`ORDER_URL` is accepted as another name for it). */
export const BASE_URL = stripSlash(__ENV.BASE_URL || __ENV.ORDER_URL || 'http://127.0.0.1:8081')
export const INVENTORY_URL = stripSlash(__ENV.INVENTORY_URL || 'http://127.0.0.1:8083')

/** Every role the scripts need: place and read orders, stock the SKUs. */
export const ROLES = ['orders:read', 'orders:write', 'inventory:read', 'inventory:write']

/** The bearer token of every request: `TOKEN` as given, else one signed with `JWT_SECRET`. */
export const TOKEN = resolveToken()

/**
 * The pass/fail criteria of every script; a breached threshold makes `k6 run` exit non-zero.
 * `abortOnErrors` stops the run early when requests or checks fail (stress, spike): hammering a
 * system that already errors teaches nothing more. Latency thresholds never abort, so the run
 * still shows whether the system recovers.
 * @param {{ abortOnErrors?: boolean }} [opts]
 * @returns {Record<string, import('k6/options').Threshold[]>}
 */
export function thresholds({ abortOnErrors = false } = {}) {
  /** @param {string} threshold @returns {import('k6/options').Threshold} */
  const errorBudget = (threshold) =>
    // Judged only after 30 s, so a few errors while connections warm up cannot end a run alone.
    abortOnErrors ? { threshold, abortOnFail: true, delayAbortEval: '30s' } : threshold
  return {
    http_req_failed: [errorBudget('rate<0.001')],
    checks: [errorBudget('rate>0.999')],
    http_req_duration: ['p(99)<200'],
    // The same budget on the POST alone, so the summary shows it apart from the status polls.
    'http_req_duration{name:create_order}': ['p(99)<200'],
    order_e2e_ms: ['p(99)<2000'],
  }
}

/**
 * A script's options: its one scenario, named `orders`, and the shared thresholds.
 * @param {import('k6/options').Scenario} orders
 * @param {{ abortOnErrors?: boolean }} [thresholdOptions]
 * @returns {import('k6/options').Options}
 */
export function testOptions(orders, thresholdOptions) {
  return {
    scenarios: { orders },
    thresholds: thresholds(thresholdOptions),
    // p(99) is what the thresholds judge, so the summary shows it.
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  }
}

/**
 * VUs for an arrival-rate scenario. An iteration is mostly one POST (tens of ms), but one in ten
 * polls for a second or more, so rate × 0.15 s is busy on a healthy system. One VU per order per
 * second leaves room for a slow one; when even that runs out, k6 reports `dropped_iterations`
 * rather than quietly sending less. MAX_VUS overrides the cap.
 * @param {number} peakRate iterations per second at the busiest moment
 */
export function vusFor(peakRate) {
  const maxVUs = numberEnv('MAX_VUS', Math.max(20, Math.ceil(peakRate)))
  return { preAllocatedVUs: Math.min(maxVUs, Math.max(5, Math.ceil(peakRate / 4))), maxVUs }
}

/** Request parameters of every API call: the token, JSON, and a timeout shorter than k6's 60 s. */
export function apiParams(/** @type {string} */ name, /** @type {Record<string, string>} */ headers = {}) {
  return {
    headers: Object.assign({ Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, headers),
    tags: { name },
    timeout: '10s',
  }
}

/** Shared checks, named so their pass rates line up in the summary across scripts. */
export const checks = {
  /** @param {number} expected */
  status: (expected) => (/** @type {import('k6/http').RefinedResponse<any>} */ res) => res.status === expected,
  /** @param {import('k6/http').RefinedResponse<any>} res */
  hasLocation: (res) => typeof res.headers['Location'] === 'string' && res.headers['Location'].length > 0,
}

/**
 * A number from the environment, or the default; anything else stops the script.
 * @param {string} name
 * @param {number} fallback
 */
export function numberEnv(name, fallback) {
  const raw = __ENV[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`)
  return value
}

/**
 * A k6 duration (`30s`, `2m`, `1h30m`) from the environment, or the default.
 * @param {string} name
 * @param {string} fallback
 */
export function durationEnv(name, fallback) {
  const raw = __ENV[name] || fallback
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(raw)) throw new Error(`${name} must be a duration such as 30s, 2m or 1h, got "${raw}"`)
  return raw
}

function resolveToken() {
  if (__ENV.TOKEN) return __ENV.TOKEN
  // JWT_SECRETS (the services' own, newest first) works too, so `.run/dev.env` can be sourced as is.
  const secret = __ENV.JWT_SECRET || ((__ENV.JWT_SECRETS || '').split(',')[0] || '').trim()
  if (!secret) throw new Error('set TOKEN (a bearer JWT) or JWT_SECRET (the HS256 secret the services verify with)')
  const iat = Math.floor(Date.now() / 1000)
  /** @type {Record<string, unknown>} */
  const claims = { sub: __ENV.JWT_SUB || 'k6-load', roles: ROLES, iat, exp: iat + numberEnv('JWT_TTL', 86400) }
  // Services configured with JWT_ISSUER / JWT_AUDIENCE require the claims; same names here.
  if (__ENV.JWT_ISSUER) claims.iss = __ENV.JWT_ISSUER
  if (__ENV.JWT_AUDIENCE) claims.aud = __ENV.JWT_AUDIENCE
  return signHs256(claims, secret)
}

/**
 * A compact JWS (RFC 7515) with HS256: base64url without padding, as fast-jwt expects.
 * @param {Record<string, unknown>} claims
 * @param {string} secret
 */
export function signHs256(claims, secret) {
  const header = encoding.b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl')
  const payload = encoding.b64encode(JSON.stringify(claims), 'rawurl')
  const input = `${header}.${payload}`
  // The raw digest through the same base64url encoder as the header and payload.
  const signature = encoding.b64encode(crypto.hmac('sha256', secret, input, 'binary'), 'rawurl')
  return `${input}.${signature}`
}

/** @param {string} url */
function stripSlash(url) {
  return url.replace(/\/+$/, '')
}
