import t from 'tap'
import Value from 'typebox/value'
import { CURRENCY_CODES, Currency, MAX_MINOR_UNITS, MinorUnits } from '@orderflow/contracts'

t.test('a currency is an ISO 4217 code of money in use, not any three capitals', async (t) => {
  for (const code of ['EUR', 'USD', 'GBP', 'JPY', 'CHF', 'SEK']) t.ok(Value.Check(Currency, code), code)
  for (const code of ['ZZZ', 'XXX', 'XTS', 'XAU', 'eur', 'EURO', '', 'EU']) t.notOk(Value.Check(Currency, code), code)
  t.ok(CURRENCY_CODES.length > 150, `${CURRENCY_CODES.length} codes`)
  t.ok(CURRENCY_CODES.every((c) => /^[A-Z]{3}$/.test(c)), 'every one an alphabetic code')
})

t.test('amounts stop at 10^11 minor units, the one limit the order API applies to totals', async (t) => {
  t.equal(MAX_MINOR_UNITS, 100_000_000_000)
  t.ok(Value.Check(MinorUnits, MAX_MINOR_UNITS))
  t.notOk(Value.Check(MinorUnits, MAX_MINOR_UNITS + 1))
  t.notOk(Value.Check(MinorUnits, 9e15))
})
