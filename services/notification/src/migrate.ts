// Entry point: `node dist/migrate.js up|down|pending|create [name] [--create-database] [--wait]`, run by
// a deployment job or `make up`; migrations never run at process boot.
import { runMigrations } from '@orderflow/runtime'
import { notificationService } from './service.js'

await runMigrations(notificationService)
