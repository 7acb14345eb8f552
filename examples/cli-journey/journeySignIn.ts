import { createNodeClient, signInWithJourney, type JourneySignInOptions as NodeJourneyOptions, type JourneyStep, type NodeClientOptions, type TokenSet } from '@realmauth/node'

/** The client's options (`redirectUri`: registered for the client; the CLI reads the redirect, it never listens there). */
export interface JourneySignInOptions extends Pick<NodeClientOptions, 'issuer' | 'clientId' | 'fetch'>, Required<Pick<NodeClientOptions, 'redirectUri'>>, Pick<NodeJourneyOptions, 'journey'> {
  /** Asks the person at the terminal; `secret` answers are not echoed. */
  ask(prompt: string, secret: boolean): Promise<string>
  print(line: string): void
  fetch?: typeof fetch
}

/** Runs an AM journey at the terminal, one question per callback, and returns validated tokens. */
export async function journeySignIn(options: JourneySignInOptions): Promise<TokenSet> {
  const client = await createNodeClient({
    issuer: options.issuer,
    clientId: options.clientId,
    auth: { method: 'none' },
    redirectUri: options.redirectUri,
    ...(options.fetch && { fetch: options.fetch }),
  })
  const answer = async (step: JourneyStep) => {
    if (step.header) options.print(step.header)
    for (const cb of step.callbacks) {
      switch (cb.kind) {
        case 'name':
          cb.setName(await options.ask(cb.prompt, false))
          break
        case 'password':
          cb.setPassword(await options.ask(cb.prompt, true))
          break
        case 'choice':
          cb.choices.forEach((choice, i) => options.print(`  ${i + 1}. ${choice}`))
          cb.choose(Number(await options.ask(`${cb.prompt} [${cb.defaultChoice + 1}]`, false) || cb.defaultChoice + 1) - 1)
          break
        case 'confirmation':
          cb.options.forEach((option, i) => options.print(`  ${i + 1}. ${option}`))
          cb.confirm(Number(await options.ask(cb.prompt || 'Choose', false) || cb.defaultOption + 1) - 1)
          break
        case 'text':
          if (cb.messageType !== 'script') options.print(cb.message)
          break
        case 'hidden':
          break
        case 'other':
          throw new Error(`This journey asks for ${cb.type}, which a terminal cannot answer`)
      }
    }
  }
  return signInWithJourney(client, { ...(options.journey !== undefined && { journey: options.journey }), answer })
}
