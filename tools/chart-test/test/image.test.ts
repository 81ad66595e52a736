// The runtime image holds only what its service runs from: package.json, dist/ with JavaScript only,
// and production node_modules — of the service and of the libs it depends on. No docker here, so
// the Dockerfile is read for its stages, and its prune step (tools/image/prune.mjs) is run on a
// copy of the built workspace (node_modules left out: `npm ci --omit=dev` is npm's business).
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import t from 'tap'
import { repoRoot } from './lib/render.js'
import { serviceFolders } from './lib/services.js'

interface Stage {
  readonly name: string
  readonly from: string
  readonly instructions: string[]
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined). */
function stages(): Stage[] {
  const text = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ')
  const out: Stage[] = []
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line)
    if (from) out.push({ from: from[1]!, name: from[2] ?? `#${out.length}`, instructions: [] })
    else out.at(-1)?.instructions.push(line.replace(/\s+/g, ' '))
  }
  return out
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

/** The service's workspace and every lib its production dependencies reach, from the package.json files. */
function runtimeWorkspaces(service: string): string[] {
  const libs = new Map(readdirSync(join(repoRoot, 'libs')).filter((d) => existsSync(join(repoRoot, 'libs', d, 'package.json'))).map((d) => [(JSON.parse(readFileSync(join(repoRoot, 'libs', d, 'package.json'), 'utf8')) as { name: string }).name, `libs/${d}`]))
  const seen = new Set<string>()
  const visit = (dir: string): void => {
    if (seen.has(dir)) return
    seen.add(dir)
    const deps = (JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {}
    for (const dep of Object.keys(deps)) if (libs.has(dep)) visit(libs.get(dep)!)
  }
  visit(`services/${service}`)
  return [...seen].sort()
}

t.test('the Dockerfile: the runtime stage copies only from the pruned stage, and only what runs', async (t) => {
  const all = stages()
  const prune = all.find((s) => s.name === 'prune')
  const runtime = all.at(-1)!
  if (!t.ok(prune, 'a prune stage')) return
  t.ok(prune!.instructions.some((i) => /^RUN .*npm ci --omit=dev --workspace "services\/\$\{SERVICE\}"/.test(i)), 'production dependencies of the one service')
  t.ok(prune!.instructions.includes('RUN node tools/image/prune.mjs "${SERVICE}"'), 'then the allow-list prune')
  const copies = runtime.instructions.filter((i) => i.startsWith('COPY'))
  t.same(copies, ['COPY --from=prune /app/package.json ./', 'COPY --from=prune /app/node_modules ./node_modules', 'COPY --from=prune /app/libs ./libs', 'COPY --from=prune /app/services ./services'], 'package.json, node_modules, libs and services from the pruned stage; nothing from the build context')
  t.ok(runtime.instructions.includes('USER 1000:1000'), 'runs as uid 1000')
})

const built = serviceFolders().filter((s) => existsSync(join(repoRoot, 'services', s.name, 'dist', 'main.js')))
if (built.length === 0) t.comment('no service is built (make build): the prune step is not simulated')

for (const service of built) {
  t.test(`the pruned workspace of ${service.name}`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), `orderflow-image-${service.name}-`))
    t.teardown(() => rmSync(root, { recursive: true, force: true }))
    // What the build stage has (the whole workspace, built), less node_modules.
    const noModules = (src: string) => !src.split('/').includes('node_modules')
    for (const dir of ['libs', 'services', 'tools']) cpSync(join(repoRoot, dir), join(root, dir), { recursive: true, filter: noModules })
    cpSync(join(repoRoot, 'package.json'), join(root, 'package.json'))

    execFileSync(process.execPath, ['tools/image/prune.mjs', service.name], { cwd: root, encoding: 'utf8' })

    const workspaces = runtimeWorkspaces(service.name)
    t.same(readdirSync(root).sort(), ['libs', 'package.json', 'services'], 'tools/ is gone')
    t.same(readdirSync(join(root, 'services')), [service.name], 'no other service')
    t.same(readdirSync(join(root, 'libs')).map((d) => `libs/${d}`).sort(), workspaces.filter((w) => w.startsWith('libs/')), 'exactly the libs its production dependencies reach (not libs/testing)')
    const files = filesUnder(root).filter((f) => f !== 'package.json')
    const unexpected = files.filter((f) => !workspaces.some((w) => f === `${w}/package.json` || (f.startsWith(`${w}/dist/`) && f.endsWith('.js'))))
    t.same(unexpected, [], 'only package.json and dist/**/*.js: no sources, tests, tsconfig, README, .d.ts, maps or build info')
    const dist = `services/${service.name}/dist`
    for (const entry of ['main.js', 'migrate.js', 'provision.js']) t.ok(files.includes(`${dist}/${entry}`), `${entry} is there`)
    if (service.database) t.ok(files.some((f) => f.startsWith(`${dist}/migrations/`) && f.endsWith('.js')), 'its migrations, as JavaScript')
    for (const w of workspaces) t.ok(files.includes(`${w}/package.json`), `${w}/package.json`)
  })
}
