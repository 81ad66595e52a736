/** The service's name: its folder, image, chart key and Kubernetes objects all use it. */
export const SERVICE_NAME = 'inventory'

/** CloudEvents `source` of everything this service publishes. */
export const EVENT_SOURCE = 'orderflow/inventory'
