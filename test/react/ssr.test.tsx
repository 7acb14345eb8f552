// @vitest-environment node
import { renderToString, version } from 'react-dom/server'
import { describe, expect, inject, it, vi } from 'vitest'
import { AuthProvider, RequireAuth, useAccessToken, useAuth } from '@realmauth/react'
import { fakeClient, tokenSet } from './fakeClient.js'

function Page() {
  const { status, isLoading, user } = useAuth()
  const { token, loading } = useAccessToken()
  return (
    <main>
      <p>{`${status} ${isLoading} ${user?.sub ?? 'unknown'} ${token ?? '-'} ${loading}`}</p>
      <RequireAuth fallback={<span>checking</span>}>
        <span>secret</span>
      </RequireAuth>
    </main>
  )
}

describe('server rendering', () => {
  it('renders the unknown state with a provider that creates its client, without a window', () => {
    expect(typeof window).toBe('undefined')
    expect(version.split('.')[0]).toBe(inject('reactMajor'))
    const html = renderToString(
      <AuthProvider issuer="https://idp.example.test/am/oauth2/realms/root/realms/alpha" clientId="spa">
        <Page />
      </AuthProvider>,
    )
    expect(html).toContain('loading true unknown - true')
    expect(html).toContain('checking')
    expect(html).not.toContain('secret')
  })

  it('says "unknown" even when the client already holds tokens, and runs no effect', async () => {
    const client = fakeClient(tokenSet())
    await client.auth.load()
    expect(client.getSnapshot().status).toBe('signed_in')
    const getAccessToken = vi.spyOn(client, 'getAccessToken')
    const html = renderToString(
      <AuthProvider client={client}>
        <Page />
      </AuthProvider>,
    )
    // The server snapshot, not the client's: what hydration will start from too.
    expect(html).toContain('loading true unknown - true')
    expect(getAccessToken).not.toHaveBeenCalled()
    expect(client.signIn).not.toHaveBeenCalled()
  })
})
