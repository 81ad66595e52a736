// Every rendered object is valid for Kubernetes: its schema from kubernetes-models, and no field
// the schema does not know (a misspelt field would otherwise be dropped by the API server).
import t from 'tap'
import { validateManifest } from './lib/kube-validate.js'
import { render } from './lib/render.js'
import * as variants from './lib/variants.js'

for (const variant of variants.all) {
  t.test(`valid Kubernetes objects: ${variant.name}`, async (t) => {
    const manifests = render(variant)
    const problems = (await Promise.all(manifests.map((m) => validateManifest(m)))).flat()
    t.same(problems, [], `${manifests.length} objects, no problems`)
  })
}

/** A minimal Deployment; `container`, `metadata` and `spec` fields are added to it. */
function deployment(extra: { metadata?: object; spec?: object; container?: object; port?: object } = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'broken', ...extra.metadata },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: { containers: [{ name: 'x', image: 'x:1', ports: [{ containerPort: 8080, ...extra.port }], ...extra.container }] },
      },
      ...extra.spec,
    },
  }
}

t.test('a deliberately wrong manifest is caught', async (t) => {
  const check = (doc: Record<string, unknown>) => validateManifest({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'broken', doc })
  t.same(await check(deployment()), [], 'the correct one passes')

  const unknown = deployment({ metadata: { lables: { app: 'x' } }, container: { imagePullPolicyy: 'Always' }, port: { containerPorts: 8080 } })
  t.same(
    (await check(unknown)).map((p) => p.problem.split(' ')[0]),
    ['/metadata/lables', '/spec/template/spec/containers/0/ports/0/containerPorts', '/spec/template/spec/containers/0/imagePullPolicyy'],
    'unknown fields, at any depth, are reported',
  )

  t.match(await check(deployment({ spec: { replicas: 'two' } })), [{ problem: /\/spec\/replicas must be integer/ }], 'a wrong type is reported')

  const rule = (r: object) => ({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'r' },
    spec: { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up == 0', ...r }] }] },
  })
  const checkRule = (r: object) => validateManifest({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', name: 'r', doc: rule(r) })
  t.same(await checkRule({ for: '5m', labels: { severity: 'warning' }, annotations: { runbook_url: 'https://x/#a' } }), [], 'a correct alert passes')
  t.match(await checkRule({ for: '5min' }), [{ problem: /\/for must match pattern/ }], 'a duration Prometheus would refuse')
  t.match(await checkRule({ record: 'job:x:rate5m' }), [{ problem: /must match exactly one schema in oneOf/ }], 'alert and record at once')
  t.match(await checkRule({ annotation: { summary: 'x' } }), [{ problem: /rules\/0 must NOT have additional properties/ }], 'a misspelt field of a rule')

  t.match(
    await validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', doc: {} }),
    [{ problem: /no schema/ }],
    'a kind without a schema is not waved through',
  )
})
