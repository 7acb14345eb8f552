/**
 * A reference OAuth 2.0 / OpenID Connect provider that behaves like ForgeRock AM, to develop
 * and test against: `createProvider(config).fetch(request)`.
 *
 * @packageDocumentation
 * @module @realmauth/server
 */
export { createProvider, type Provider, type FetchOptions } from './createProvider.js'
export type { ClientCertificate } from './model/index.js'
export type { ProviderConfig, RealmConfig, ClientConfig, UserConfig, Lifetimes, SigningJwk } from './config/config.js'
export type { JourneyConfig, JourneyNodeConfig, CollectorNodeConfig } from './model/index.js'
export { ConfigError } from './base/errors.js'
export { OAuthError, type OAuthErrorCode } from './base/errors.js'
export { MemoryStore, type MemoryStoreOptions } from './store/MemoryStore.js'
export type { Store, StoreEntry } from './store/Store.js'
export type { StoredPayload, RecordKind, KeyRingPayload, StoredSigningKey } from './records/index.js'
export { demoConfig, DEMO } from './demoConfig.js'
export { generateSigningKey, keyStatuses, type KeyStatus } from './keys/index.js'
