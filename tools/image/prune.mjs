#!/usr/bin/env node
// The image's prune step (Dockerfile, stage `prune`), run in /app after `npm ci --omit=dev` for
// one service: `node tools/image/prune.mjs <service>`. What stays is what that service runs from:
// its own workspace and the libs/* it depends on (production dependencies, followed through the
// libs), each as its package.json (exports resolve to dist/), dist/ holding compiled JavaScript
// only (no type declarations, source maps or build info), and node_modules where npm put one.
// Everything else goes: sources, tests, tsconfig, READMEs, other services, unused libs, tools/.
// An allow-list, so a file added to a package later stays out of the image unless listed here.
// tools/chart-test/test/image.test.ts runs it on a copy of the built workspace.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const KEEP = new Set(['package.json', 'dist', 'node_modules'])
const NOT_RUNTIME = /(\.d\.[cm]?ts|\.map|\.tsbuildinfo)$/

const [service, root = process.cwd()] = process.argv.slice(2)
if (!service || !/^[a-z][a-z0-9]*$/.test(service) || !existsSync(join(root, 'services', service, 'package.json'))) {
  console.error(`usage: prune.mjs <service> [root]: no services/${service ?? ''}/package.json under ${root}`)
  process.exit(2)
}

const readPackage = (dir) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'))
/** Workspace directory of each lib, by package name. */
const libs = new Map(
  readdirSync(join(root, 'libs'))
    .filter((name) => existsSync(join(root, 'libs', name, 'package.json')))
    .map((name) => [readPackage(`libs/${name}`).name, `libs/${name}`]),
)

/** The service and every lib reachable through production dependencies. */
const needed = new Set()
const visit = (dir) => {
  if (needed.has(dir)) return
  needed.add(dir)
  for (const dep of Object.keys(readPackage(dir).dependencies ?? {})) if (libs.has(dep)) visit(libs.get(dep))
}
visit(`services/${service}`)

const remove = (path) => rmSync(join(root, path), { recursive: true, force: true })
const pruneDist = (dir) => {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) pruneDist(path)
    else if (NOT_RUNTIME.test(entry.name)) remove(path)
  }
}

for (const group of ['libs', 'services']) {
  for (const name of readdirSync(join(root, group))) {
    const dir = `${group}/${name}`
    if (!needed.has(dir)) {
      remove(dir)
      continue
    }
    for (const entry of readdirSync(join(root, dir))) if (!KEEP.has(entry)) remove(`${dir}/${entry}`)
    if (existsSync(join(root, dir, 'dist'))) pruneDist(`${dir}/dist`)
  }
}
remove('tools')
console.log(`kept ${[...needed].sort().join(', ')}`)
