import { defineErrors } from '@orderflow/http'

/** The orchestrator's stable problem codes; clients may switch on `code`, never on `title`. */
export const OrchestratorErrors = defineErrors({
  SAGA_NOT_FOUND: { status: 404, title: 'Saga not found' },
})
