// A service's own settings always win over serviceDefaults, `false`, `0` and `""` too (the chart's
// merge, not sprig's mergeOverwrite, which skips them), and an autoscaler whose minReplicas is
// above its maxReplicas fails the render with a message naming the service (values.schema.json
// cannot compare two values: docs/kubernetes.md).
import t from 'tap'
import { find } from './lib/objects.js'
import { releaseName, render, renderRaw } from './lib/render.js'

const order = `${releaseName}-order`
const with_ = (...set: string[]) => render({ name: set.join(' '), args: set.flatMap((s) => ['--set', s]) })

t.test('false, 0 and "" in a service override serviceDefaults', async (t) => {
  const fixed = with_('services.order.autoscaling.enabled=false', 'services.order.replicas=0', 'services.order.topologySpread=false')
  const deployment = find(fixed, 'Deployment', order)?.spec
  t.equal(deployment?.replicas, 0, 'replicas: 0 (scaled to none) is kept')
  t.equal(find(fixed, 'HorizontalPodAutoscaler', order), undefined, 'autoscaling.enabled: false: no HPA')
  t.equal(deployment?.template.spec?.topologySpreadConstraints, undefined, 'topologySpread: false')
  t.ok(find(fixed, 'Deployment', `${releaseName}-payment`)?.spec?.template.spec?.topologySpreadConstraints, 'the other services keep the defaults')

  const noWindow = with_('services.order.autoscaling.scaleDownStabilizationSeconds=0')
  t.equal(find(noWindow, 'HorizontalPodAutoscaler', order)?.spec?.behavior?.scaleDown?.stabilizationWindowSeconds, 0, 'a 0 inside a map merged with the defaults')

  const env = with_('serviceDefaults.env.LOG_LEVEL=debug', 'services.order.env.LOG_LEVEL=')
  t.equal(find(env, 'ConfigMap', order)?.data?.LOG_LEVEL, 'info', 'an empty string unsets the default\'s value for that service (config\'s LOG_LEVEL applies)')
  t.equal(find(env, 'ConfigMap', `${releaseName}-payment`)?.data?.LOG_LEVEL, 'debug')

  const on = with_('serviceDefaults.topologySpread=false', 'services.order.topologySpread=true')
  t.ok(find(on, 'Deployment', order)?.spec?.template.spec?.topologySpreadConstraints, 'and true over a default false')
})

t.test('minReplicas above maxReplicas fails the render, after the merge', async (t) => {
  t.throws(() => renderRaw(['--set', 'services.order.autoscaling.minReplicas=8']), /services\.order\.autoscaling: minReplicas \(8\) is above maxReplicas \(6\)/, 'a service\'s min over the default max')
  t.throws(() => renderRaw(['--set', 'serviceDefaults.autoscaling.minReplicas=3,serviceDefaults.autoscaling.maxReplicas=2']), /minReplicas \(3\) is above maxReplicas \(2\)/, 'in serviceDefaults')
  t.doesNotThrow(() => renderRaw(['--set', 'services.order.autoscaling.minReplicas=8,services.order.autoscaling.maxReplicas=8']), 'equal is fine')
  t.doesNotThrow(() => renderRaw(['--set', 'services.order.autoscaling.minReplicas=8,services.order.autoscaling.enabled=false']), 'autoscaling off: not checked')
})
