import type { ProvisionPlan, Topology } from '@orderflow/messaging'
import { deadLetterCopierConsumer } from '@orderflow/messaging'
import type { TObject } from 'typebox'
import type { ServiceDefinition } from './service-definition.js'
import type { ServiceConfig } from './service-settings.js'

/**
 * What `provision` declares for a service: every platform stream (any service may be deployed
 * first) and its own consumers, in the namespace. The copier's consumer needs no filter: the
 * namespace's capture stream holds only its own advisories.
 */
export function serviceProvisionPlan<C extends ServiceConfig>(
  def: Pick<ServiceDefinition<TObject, C>, 'consumers'>,
  topology: Topology,
  replicas: number,
): ProvisionPlan {
  return {
    streams: topology.streams(replicas),
    consumers: [
      ...(def.consumers ?? []).map((c) => topology.consumer(c.spec)),
      deadLetterCopierConsumer({ advisoryStream: topology.deadLetters.advisoryStream }),
    ],
  }
}
