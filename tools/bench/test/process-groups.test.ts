import t from 'tap'
import { postgresGroup } from '@orderflow/bench'

t.test('PostgreSQL backends are grouped by the database they serve', async (t) => {
  t.equal(postgresGroup('postgres: 15/main: postgres orderflow_order 127.0.0.1(58948) idle'), 'postgres (order)')
  t.equal(postgresGroup('postgres: 15/main: postgres orderflow_payment 127.0.0.1(50192) UPDATE'), 'postgres (payment)')
  t.equal(postgresGroup('postgres: 15/main: postgres of_order_afe122c2ee 127.0.0.1(44102) idle in transaction'), 'postgres (other databases)')
  t.equal(postgresGroup('postgres: 15/main: app orderflow_inventory [local] idle'), 'postgres (inventory)')
  t.equal(postgresGroup('postgres: 15/main: checkpointer'), 'postgres (server)')
  t.equal(postgresGroup('postgres: 15/main: autovacuum worker orderflow_order'), 'postgres (server)')
  t.equal(postgresGroup('/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main'), 'postgres (server)')
})

t.test('another database prefix (ORDERFLOW_DB_PREFIX) names the platform databases', async (t) => {
  t.equal(postgresGroup('postgres: 15/main: postgres shop_order 127.0.0.1(58948) idle', 'shop_'), 'postgres (order)')
  t.equal(postgresGroup('postgres: 15/main: postgres orderflow_order 127.0.0.1(58948) idle', 'shop_'), 'postgres (other databases)')
})
