// Process entry: `node dist/main.js`. Everything but the service's own parts is @orderflow/runtime.
import { runService } from '@orderflow/runtime'
import { inventoryService } from './service.js'

await runService(inventoryService)
