/**
 * The packages `npm test` builds (what the CLI, Node services and the demo run) pack as their
 * users install them: publint, strict, finds nothing (`npm run lint` checks all five).
 */
import { expect, it } from 'vitest'
// @ts-expect-error plain .mjs script without types
import { BUILT } from '../../scripts/setup.mjs'
// @ts-expect-error plain .mjs script without types
import { lintPackage } from '../../scripts/lint.mjs'

for (const name of Object.keys(BUILT as Record<string, string[]>)) {
  it(`@realmauth/${name} packs with an exports map, formats and types publint finds nothing wrong with`, async () => {
    expect(await (lintPackage as (name: string) => Promise<string[]>)(name)).toEqual([])
  })
}
