// Process entry: `node dist/main.js`. Everything but the service's own parts is @orderflow/runtime.
import { runService } from '@orderflow/runtime'
import { fulfillmentService } from './service.js'

await runService(fulfillmentService)
