import { describe, expect, it, vi } from 'vitest'
import { ownedClient } from '../../packages/react/src/clientHolder.js'

const options = { issuer: 'https://idp.example.test/am/oauth2/realms/root/realms/alpha', clientId: 'spa', storage: 'memory' as const, crossTab: false }
const microtask = () => new Promise<void>((resolve) => queueMicrotask(resolve))

describe('the client a provider creates from options', () => {
  it('is created on first use only, once', () => {
    const holder = ownedClient(options)
    const client = holder.get()
    expect(holder.get()).toBe(client)
  })

  it('survives an unmount and mount in one go (StrictMode), and is disposed after a real unmount', async () => {
    const holder = ownedClient(options)
    const client = holder.get()
    const dispose = vi.spyOn(client, 'dispose')
    expect(holder.retain()).toBe(false)
    holder.release()
    expect(holder.retain()).toBe(false)
    await microtask()
    expect(dispose).not.toHaveBeenCalled()
    expect(holder.get()).toBe(client)
    holder.release()
    await microtask()
    expect(dispose).toHaveBeenCalledTimes(1)
  })

  it('is created afresh when a provider comes back after its client was disposed (<Activity>)', async () => {
    const holder = ownedClient(options)
    const first = holder.get()
    holder.retain()
    holder.release()
    await microtask()
    expect(holder.retain()).toBe(true)
    const second = holder.get()
    expect(second).not.toBe(first)
    expect(holder.retain()).toBe(false)
  })
})
