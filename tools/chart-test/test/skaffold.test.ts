// skaffold.yaml builds an image for every service from paths that exist, deploys the chart with
// those images, and forwards every API port; its `load` config runs the k6 scripts in the cluster.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse, parseAllDocuments } from 'yaml'
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
interface VerifyStep {
  name: string
  executionMode?: { kubernetesCluster?: { jobManifestPath?: string; overrides?: string } }
  container: { name: string; image: string; command?: string[]; args?: string[]; env?: { name: string; value: string }[] }
}
interface Config {
  apiVersion: string
  metadata: { name: string }
  requires?: { configs: string[] }[]
  build?: { artifacts: Artifact[] }
  verify?: VerifyStep[]
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
  const artifact = load?.build?.artifacts[0]
  const context = artifact?.context ?? ''
  t.equal(context, 'load', 'builds the k6 scripts from load/')
  t.ok(exists(join(context, artifact?.docker?.dockerfile ?? 'Dockerfile')), 'load/Dockerfile')
  t.ok(exists(join(context, '.dockerignore')), 'load/.dockerignore')

  const steps = load?.verify ?? []
  t.ok(steps.length > 0, 'verify steps')
  for (const step of steps) {
    t.equal(step.container.image, artifact?.image, `${step.name}: runs the built image`)
    t.match(step.container.args, ['run', /^\/scripts\/\w+\.js$/], `${step.name}: runs a script of the image`)
    t.ok(exists(join(context, String(step.container.args?.[1]).replace(/^\/scripts\//, ''))), `${step.name}: the script is in load/`)
    const manifest = step.executionMode?.kubernetesCluster?.jobManifestPath
    if (!t.ok(manifest !== undefined && exists(manifest), `${step.name}: runs in the cluster from a Job manifest that exists`) || manifest === undefined) continue
    const job = parse(readFileSync(join(repoRoot, manifest), 'utf8')) as { kind?: string; spec?: { template?: { spec?: { containers?: { name: string; env?: { name: string }[] }[] } } } }
    t.equal(job.kind, 'Job', `${manifest} is a Job`)
    // skaffold keeps only the manifest's container of the verify container's name (the rest of
    // that container, env included, stays); with no such container the env would be lost.
    const containers = job.spec?.template?.spec?.containers ?? []
    t.same(containers.map((c) => c.name), [step.container.name], `${manifest}: one container, named like the verify container`)
    // skaffold appends the step's env to the Job's: a name in both would be set twice.
    const jobEnv = new Set(containers[0]?.env?.map((e) => e.name))
    t.same((step.container.env ?? []).map((e) => e.name).filter((name) => jobEnv.has(name)), [], `${step.name}: no variable set both here and in ${manifest}`)
  }
})
