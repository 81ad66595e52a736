import type { EntityManager } from '@mikro-orm/postgresql'
import { PriceList, type IPriceList } from '../entities/price-list.entity.js'

export function findPriceList(em: EntityManager, sku: string): Promise<IPriceList | null> {
  return em.findOne(PriceList, { sku })
}
