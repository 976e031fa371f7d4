/**
 * The base of the errors a service's domain throws: what its rules refuse,
 * with the data an answer needs and no HTTP status. The service's
 * DomainErrorMapper (given to createApp) says how each one answers.
 */
export abstract class DomainError extends Error {
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}
