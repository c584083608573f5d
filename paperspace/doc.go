// Package paperspace is a client for the legacy Paperspace Core API: list
// templates, users, networks and machines, read one machine, check GPU
// availability, and create a machine.
//
// Every request carries the API key in the x-api-key header. The key never
// appears in an error, in a [Call] or in anything else this package returns.
//
// # Errors
//
// [CheckResponse] turns every non-2xx response into an [*Error] with the
// Core API's message and, when the message names one, the request field at
// fault. A request that got no response fails with a [*TransportError],
// which records whether any of the request reached the network. A 2xx
// response whose body cannot be decoded fails with an error that wraps
// [ErrInvalidResponse]. [IsInvalidAPIKey], [IsNotFound] and
// [IsUnknownOutcome] classify all three.
//
// # Retries
//
// GET requests (every method except [Client.CreateMachine]) are retried,
// up to [RetryPolicy.MaxAttempts] attempts in total, when an attempt:
//   - fails without a response (connection refused or reset, EOF, a body cut
//     short, or [RetryPolicy.AttemptTimeout] running out), or
//   - gets HTTP 429 or any 5xx status except 501 Not Implemented.
//
// The wait before the next attempt grows exponentially from
// [RetryPolicy.MinWait] with random jitter and is capped at
// [RetryPolicy.MaxWait]. On 429 and 503 a Retry-After header given in
// seconds makes the wait at least that long, still capped at MaxWait. An
// HTTP-date Retry-After is ignored. Other 4xx responses, undecodable 2xx
// bodies and a done context are not retried, and every wait ends early
// when the context is done.
//
// The create request (POST /machines/createSingleMachinePublic) is sent
// exactly once, whatever the outcome, because the Core API may have created
// a user or a machine even when the response is lost. It runs under the
// caller's context only; AttemptTimeout does not apply to it.
package paperspace
