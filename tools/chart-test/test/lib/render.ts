// Renders charts/orderflow the way `helm template` does: with a real `helm` when one is on the
// PATH, otherwise with the offline stand-in ../shared/tools/chart-render/render. Every variant
// is rendered once per test process and shared.
import { execFileSync, spawnSync } from 'node:child_process'
import { accessSync, constants, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
export const chartDir = join(repoRoot, 'charts/orderflow')
export const libChartDir = join(repoRoot, 'charts/orderflow-lib')
export const releaseName = 'orderflow'
export const namespace = 'orderflow'
/** Chart.yaml requires 1.30 (the preStop sleep action); fixed so helm versions agree. */
export const kubeVersion = 'v1.31.0'

export interface Renderer {
  readonly name: 'helm' | 'chart-render'
  readonly command: string
  /** The arguments before the release name: `helm template` needs `template`. */
  readonly prefix: readonly string[]
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, command))) return join(dir, command)
  }
  return undefined
}

/**
 * `helm` when it is on the PATH; else the stand-in named by `CHART_RENDER`, or found next to the
 * repository (../shared/tools/chart-render/render); else a clear error.
 */
export function chooseRenderer(root = repoRoot, path = onPath, env: NodeJS.ProcessEnv = process.env): Renderer {
  const helm = path('helm')
  if (helm !== undefined) return { name: 'helm', command: helm, prefix: ['template'] }
  const named = env.CHART_RENDER
  if (named !== undefined && named !== '') {
    if (isExecutable(named)) return { name: 'chart-render', command: named, prefix: [] }
    throw new Error(`CHART_RENDER=${named} is not an executable file`)
  }
  const standIn = join(root, '../shared/tools/chart-render/render')
  if (isExecutable(standIn)) return { name: 'chart-render', command: standIn, prefix: [] }
  throw new Error(
    `cannot render charts: no \`helm\` on PATH, no CHART_RENDER and no stand-in at ${standIn} (install helm, set CHART_RENDER, or check out the shared tools next to the repository)`,
  )
}

/**
 * The chart as `helm dependency build` would leave it, in a temporary directory: the library
 * chart copied into charts/, and an empty placeholder for the NATS chart, which cannot be
 * downloaded here (its own manifests are therefore not part of any render).
 */
function preparedChart(withNotes = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-chart-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  const chart = join(dir, 'orderflow')
  cpSync(chartDir, chart, { recursive: true, filter: (src) => !src.startsWith(join(chartDir, 'charts')) })
  cpSync(libChartDir, join(chart, 'charts/orderflow-lib'), { recursive: true })
  mkdirSync(join(chart, 'charts/nats'), { recursive: true })
  writeFileSync(join(chart, 'charts/nats/Chart.yaml'), 'apiVersion: v2\nname: nats\nversion: 1.2.0\ndescription: placeholder for the official NATS chart\n')
  writeFileSync(join(chart, 'charts/nats/values.yaml'), '{}\n')
  if (withNotes) {
    // Neither `helm template` nor the stand-in prints NOTES.txt: a copy outside templates/ is
    // rendered through `tpl` into a ConfigMap, in this copy of the chart only.
    mkdirSync(join(chart, 'notes-check'))
    cpSync(join(chart, 'templates/NOTES.txt'), join(chart, 'notes-check/NOTES.txt'))
    writeFileSync(
      join(chart, 'templates/notes-check.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-check\ndata:\n  notes: {{ tpl (.Files.Get "notes-check/NOTES.txt") . | quote }}\n',
    )
  }
  return chart
}

export interface Manifest {
  readonly source: string
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly doc: Record<string, unknown>
}

export interface Variant {
  readonly name: string
  readonly args: readonly string[]
}

let renderer: Renderer | undefined
let prepared: string | undefined
let preparedWithNotes: string | undefined
const cache = new Map<string, Manifest[]>()

export function activeRenderer(): Renderer {
  renderer ??= chooseRenderer()
  return renderer
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Splits `helm template` output into objects, each with the template it came from. */
export function parseManifests(text: string): Manifest[] {
  const out: Manifest[] = []
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`)
    const value: unknown = doc.toJS()
    if (value === null || value === undefined) continue
    if (!isRecord(value)) throw new Error(`rendered document is not an object: ${JSON.stringify(value)}`)
    const source = /# Source: (\S+)/.exec(doc.commentBefore ?? '')?.[1] ?? /# Source: (\S+)/.exec(String(doc))?.[1] ?? '?'
    const meta = isRecord(value.metadata) ? value.metadata : {}
    out.push({ source, apiVersion: String(value.apiVersion), kind: String(value.kind), name: String(meta.name), doc: value })
  }
  return out
}

/** Runs the renderer; a template error throws with the renderer's message. */
export function renderRaw(args: readonly string[], chart?: string): string {
  const r = activeRenderer()
  prepared ??= preparedChart()
  const result = spawnSync(r.command, [...r.prefix, releaseName, chart ?? prepared, '--namespace', namespace, '--kube-version', kubeVersion, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.error) throw result.error
  if (result.status !== 0) throw new Error(`${r.name} failed (exit ${result.status}): ${result.stderr.trim()}`)
  return result.stdout
}

export function render(variant: Variant): Manifest[] {
  const key = JSON.stringify(variant.args)
  let manifests = cache.get(key)
  if (manifests === undefined) {
    manifests = parseManifests(renderRaw(variant.args))
    cache.set(key, manifests)
  }
  return manifests
}

/** NOTES.txt as `helm install` would print it for these values. */
export function renderNotes(variant: Variant): string {
  preparedWithNotes ??= preparedChart(true)
  const notes = parseManifests(renderRaw([...variant.args, '--show-only', 'templates/notes-check.yaml'], preparedWithNotes))[0]?.doc.data
  return String((notes as { notes?: unknown } | undefined)?.notes)
}

/** The version of the renderer, for the test log. */
export function rendererVersion(): string {
  const r = activeRenderer()
  if (r.name === 'chart-render') return 'chart-render (offline stand-in for helm template)'
  return execFileSync(r.command, ['version', '--short'], { encoding: 'utf8' }).trim()
}
