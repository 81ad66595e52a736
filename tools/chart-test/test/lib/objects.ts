// Typed views of the rendered objects the tests look into (kubernetes-models' interfaces).
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap'
import type { ISecret } from 'kubernetes-models/v1/Secret'
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import type { IJob } from 'kubernetes-models/batch/v1/Job'
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import type { Manifest } from './render.js'

interface Kinds {
  ConfigMap: IConfigMap
  Secret: ISecret
  Deployment: IDeployment
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler
  Job: IJob
  NetworkPolicy: INetworkPolicy
  PodDisruptionBudget: IPodDisruptionBudget
}

/** The object of `kind` named `name`, or undefined. The kind is checked, so the view is sound. */
export function find<K extends keyof Kinds>(manifests: readonly Manifest[], kind: K, name: string): Kinds[K] | undefined {
  const m = manifests.find((x) => x.kind === kind && x.name === name)
  return m === undefined ? undefined : (m.doc as unknown as Kinds[K])
}

export function all<K extends keyof Kinds>(manifests: readonly Manifest[], kind: K): Kinds[K][] {
  return manifests.filter((x) => x.kind === kind).map((x) => x.doc as unknown as Kinds[K])
}

/** The environment a container gets: names from its ConfigMaps and Secrets (by envFrom) and its own env. */
export function environmentOf(manifests: readonly Manifest[], container: { env?: { name: string }[]; envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[] }, externalSecrets: Record<string, readonly string[]> = {}): { names: Set<string>; missing: string[] } {
  const names = new Set<string>((container.env ?? []).map((e) => e.name))
  const missing: string[] = []
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef?.name !== undefined) {
      const cm = find(manifests, 'ConfigMap', from.configMapRef.name)
      if (cm === undefined) missing.push(`ConfigMap/${from.configMapRef.name}`)
      for (const key of Object.keys(cm?.data ?? {})) names.add(key)
    }
    if (from.secretRef?.name !== undefined) {
      const secret = find(manifests, 'Secret', from.secretRef.name)
      const keys = secret !== undefined ? Object.keys({ ...secret.data, ...secret.stringData }) : externalSecrets[from.secretRef.name]
      if (keys === undefined) missing.push(`Secret/${from.secretRef.name}`)
      for (const key of keys ?? []) names.add(key)
    }
  }
  return { names, missing }
}
