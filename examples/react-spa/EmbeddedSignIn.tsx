import { Journey } from '@realmauth/react'

/**
 * Sign-in on the app's own page: the provider's `Login` journey rendered by `<Journey>`, then
 * tokens through `authorize?prompt=none` (a redirect the user does not see a page of). The
 * password field is replaced to show how apps swap one callback kind for their own component.
 */
export function EmbeddedSignIn({ onCancel }: { onCancel: () => void }) {
  return (
    <section>
      <h2>Sign in here</h2>
      <Journey
        journey="Login"
        submitLabel="Sign in"
        components={{
          password: ({ callback }) => (
            <label>
              {callback.prompt}
              <input id="journey-password" type="password" autoComplete="current-password" onChange={(e) => callback.setPassword(e.target.value)} />
            </label>
          ),
        }}
      />
      <button id="journey-cancel" onClick={onCancel}>
        Back
      </button>
    </section>
  )
}
