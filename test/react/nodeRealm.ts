// Vitest's jsdom environment makes the global ArrayBuffer and Uint8Array jsdom's, while
// WebCrypto and TextEncoder stay Node's: oauth4webapi and jose then fail `instanceof` checks
// on their own results. A real page has one realm, so give this one Node's throughout.
// Import it before anything that runs the provider or validates tokens.
import { webcrypto } from 'node:crypto'
import { vi } from 'vitest'

vi.stubGlobal('ArrayBuffer', Buffer.alloc(0).buffer.constructor)
vi.stubGlobal('Uint8Array', Object.getPrototypeOf(Buffer.prototype).constructor)
vi.stubGlobal('crypto', webcrypto)
