import type { Orm } from '@orderflow/db'
import { problemResponse, requireRoles, type Plugin } from '@orderflow/http'
import { Saga } from '../entities/saga.entity.js'
import { OrchestratorErrors } from '../orchestrator.errors.js'
import { toSagaView } from './saga-view.js'
import { SagaParams, SagaView } from './sagas.schemas.js'

export interface SagaRoutesOptions {
  orm: Orm
}

/**
 * Read-only views for operators, mounted under `/v1` inside `protectedRoutes`. The role is the
 * operators' `ops:dlq`: whoever decides to replay a dead letter needs to see the saga it is for.
 */
export const sagaRoutes: Plugin<SagaRoutesOptions> = async (app, { orm }) => {
  app.get(
    '/sagas/:orderId',
    {
      onRequest: requireRoles('ops:dlq'),
      schema: {
        summary: "An order's saga: state, steps done, deadline, failure",
        tags: ['sagas'],
        params: SagaParams,
        response: { 200: SagaView, 400: problemResponse('Malformed order id'), 404: problemResponse('No saga for this order') },
      },
    },
    async (request) => {
      const { orderId } = request.params
      const saga = await orm.em.fork().findOne(Saga, { orderId })
      if (!saga) throw OrchestratorErrors.SAGA_NOT_FOUND({ detail: `There is no saga for order ${orderId}.`, extra: { orderId } })
      return toSagaView(saga)
    },
  )
}
