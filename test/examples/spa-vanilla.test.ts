// @vitest-environment jsdom
/**
 * examples/spa-vanilla: a failed sign-in callback stays on the page with the provider's
 * reason, through the re-renders that follow it.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeEach, describe, expect, it } from 'vitest'
import { AuthError } from '@realmauth/browser'
import { render } from '../../examples/spa-vanilla/view.js'

// A path, not a URL: under jsdom `URL` is jsdom's, which node:fs does not take.
const html = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../examples/spa-vanilla/index.html'), 'utf8')

describe('examples/spa-vanilla', () => {
  beforeEach(() => {
    document.body.innerHTML = /<body>([\s\S]*)<\/body>/.exec(html)![1]!
  })

  it("shows a refused callback with the provider's description, and keeps it shown", () => {
    const refused = new AuthError('authorization_error', 'Sign-in callback: access_denied (The user denied the request)', {
      error: 'access_denied',
      error_description: 'The user denied the request',
    })
    render(document, { status: 'signed_out', refreshing: false }, refused)
    render(document, { status: 'signed_out', refreshing: false }, refused) // the next tick's render
    const alert = document.getElementById('error')!
    expect(alert.hidden).toBe(false)
    expect(alert.getAttribute('role')).toBe('alert')
    expect(alert.textContent).toBe('Sign-in failed: authorization_error: Sign-in callback: access_denied (The user denied the request)')
    expect(document.getElementById('signed-out')!.hidden).toBe(false)
  })

  it('shows no error box when nothing failed', () => {
    render(document, { status: 'signed_out', refreshing: false }, undefined)
    expect(document.getElementById('error')!.hidden).toBe(true)
  })
})
