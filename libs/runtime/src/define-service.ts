import type { Static, TObject } from 'typebox'
import type { ServiceDefinition } from './service-definition.js'
import type { ServiceConfig } from './service-settings.js'

/** Declares a service, inferring its config type from its schema. */
export function defineService<S extends TObject>(def: ServiceDefinition<S, Static<S> & ServiceConfig>): ServiceDefinition<S, Static<S> & ServiceConfig> {
  return def
}
