// skaffold.yaml builds an image for every service from paths that exist, deploys the chart with
// those images, and forwards every API port.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { repoRoot } from './lib/render.js'
import { serviceFolders } from './lib/services.js'
import * as variants from './lib/variants.js'

interface Artifact {
  image: string
  context?: string
  docker?: { dockerfile?: string; buildArgs?: Record<string, string> }
}
interface HelmRelease {
  name: string
  chartPath: string
  valuesFiles?: string[]
  setValueTemplates?: Record<string, string>
}
interface Config {
  apiVersion: string
  metadata: { name: string }
  requires?: { configs: string[] }[]
  build?: { artifacts: Artifact[] }
  deploy?: { helm?: { releases: HelmRelease[] } }
  portForward?: { resourceType: string; resourceName: string; port: number; localPort: number }[]
  profiles?: { name: string; deploy?: { helm?: { releases: HelmRelease[] } } }[]
}

const configs = parseAllDocuments(readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8')).map((d) => d.toJS({ maxAliasCount: 100 }) as Config)
const app = configs.find((c) => c.metadata.name === 'orderflow')!
const load = configs.find((c) => c.metadata.name === 'load')
const names = serviceFolders().map((s) => s.name)
const chartServices = variants.chartServices()
const exists = (p: string) => existsSync(join(repoRoot, p))

t.test('schema version', async (t) => {
  for (const c of configs) t.match(c.apiVersion, /^skaffold\/v4beta\d+$/, c.metadata.name)
})

t.test('one artifact per service, from paths that exist', async (t) => {
  const artifacts = app.build?.artifacts ?? []
  t.same(artifacts.map((a) => a.image).sort(), [...names].sort(), 'artifact names = service folders')
  for (const a of artifacts) {
    const context = a.context ?? '.'
    t.ok(exists(context), `${a.image}: context ${context}`)
    t.ok(exists(join(context, a.docker?.dockerfile ?? 'Dockerfile')), `${a.image}: Dockerfile`)
    t.equal(a.docker?.buildArgs?.SERVICE, a.image, `${a.image}: builds its own service`)
    t.ok(exists(join('services', a.image, 'package.json')), `${a.image}: services/${a.image}`)
  }
  t.ok(exists('.dockerignore'), '.dockerignore')
})

t.test('the chart is deployed with the built images', async (t) => {
  const releases = [app.deploy?.helm?.releases ?? [], ...(app.profiles ?? []).map((p) => p.deploy?.helm?.releases ?? [])].flat()
  t.ok(releases.length > 0, 'helm releases')
  for (const r of releases) {
    t.ok(exists(r.chartPath) && exists(join(r.chartPath, 'Chart.yaml')), `chartPath ${r.chartPath}`)
    for (const f of r.valuesFiles ?? []) if (!f.includes('{{')) t.ok(exists(f), `values file ${f}`)
    for (const name of names) {
      t.equal(r.setValueTemplates?.[`services.${name}.image.repository`], `{{.IMAGE_REPO_${name}}}`, `${name} image repository`)
      t.equal(r.setValueTemplates?.[`services.${name}.image.tag`], `{{.IMAGE_TAG_${name}}}`, `${name} image tag`)
    }
  }
})

t.test('port-forwards for the APIs', async (t) => {
  for (const name of names) {
    const pf = app.portForward?.find((p) => p.resourceName === `orderflow-${name}`)
    t.match(pf, { resourceType: 'service', port: chartServices[name]?.port, localPort: chartServices[name]?.port }, name)
  }
})

t.test('a separate load-test config that requires the app', async (t) => {
  t.ok(load, 'config "load"')
  t.same(load?.requires?.flatMap((r) => r.configs), ['orderflow'])
  const context = load?.build?.artifacts[0]?.context ?? ''
  t.equal(context, 'load', 'builds the k6 scripts from load/')
  if (!exists(context)) t.pass('load/ (k6 scripts and their Dockerfile) comes with the load-testing issue', { todo: true })
  else t.ok(exists(join(context, 'Dockerfile')), 'load/Dockerfile')
})
