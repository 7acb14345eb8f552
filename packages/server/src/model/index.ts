/**
 * The floor of the server: plain types of clients, realms, users and their settings, and the
 * protocol lists. Everything else imports from here; nothing here imports from above.
 */
export * from './protocol.js'
export type * from './settings.js'
export type * from './client.js'
export type * from './user.js'
export type * from './realm.js'
export type * from './journey.js'
export type * from './provider.js'
