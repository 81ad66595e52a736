// Entry point: `node dist/provision.js [--wait]` declares the platform's streams and this service's
// consumers on NATS (idempotent: run it at every deployment).
import { runProvision } from '@orderflow/runtime'
import { orderService } from './service.js'

await runProvision(orderService)
