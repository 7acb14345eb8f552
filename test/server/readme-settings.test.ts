/**
 * The server README's table of seed 004's client profile says, for each setting, which config
 * field holds it and whether it works or is refused at start. This keeps the table honest: a
 * field it says works is a known setting.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, createProvider, type ProviderConfig } from '@realmauth/server'

const README = readFileSync(new URL('../../packages/server/README.md', import.meta.url), 'utf8')
const SECTION = README.split(/^## /m).find((s) => s.startsWith("Seed 004's client profile"))!

interface Row {
  setting: string
  fields: string[]
  realm: boolean
  state: string
}

const ROWS: Row[] = SECTION.split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| Seed 004 setting') && !line.startsWith('| ---'))
  .map((line) => {
    const cells = line.slice(1, -1).split('|').map((c) => c.trim())
    const configCell = cells[1]!
    return {
      setting: cells[0]!,
      // Bare snake_case names in backticks; `grant_types: [...]` and the like name values, not one field.
      fields: [...configCell.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!),
      realm: configCell.startsWith('realm '),
      state: cells[cells.length - 1]!,
    }
  })

/** A realm with one valid client, plus `extra` on the client or on the realm. */
function config(extra: Record<string, unknown>, onRealm: boolean): ProviderConfig {
  const client = { client_id: 'svc', client_secret: 's', grant_types: ['client_credentials'], ...(!onRealm && extra) }
  return { realms: [{ name: 'alpha', ...(onRealm && extra), clients: [client] }] } as ProviderConfig
}

function problem(extra: Record<string, unknown>, onRealm: boolean): string | undefined {
  try {
    createProvider(config(extra, onRealm))
  } catch (e) {
    if (e instanceof ConfigError) return e.message
    throw e
  }
  return undefined
}

describe("the README's seed 004 table", () => {
  it('has a row for each setting, with a field and a state', () => {
    expect(ROWS.length).toBeGreaterThan(40)
    for (const row of ROWS) expect(row.state, row.setting).toMatch(/^(works|refused)/)
  })

  it.each(ROWS.filter((r) => r.state.startsWith('works') && r.fields.length > 0))('$setting: its field is a known setting', (row) => {
    // A key whose value is undefined is still checked against the known fields (a required
    // field left undefined is then refused for its value, which is not what this asks).
    expect(problem({ [row.fields[0]!]: undefined }, row.realm) ?? '').not.toMatch(/is not a known setting/)
  })
})
