// Package auth makes the credentials of HTTP requests: Basic (RFC 7617),
// and Digest (RFC 7616, with RFC 2617 and RFC 2069 servers answered as
// curl answers them), from the challenges of WWW-Authenticate fields.
//
// ParseChallenges reads challenges as RFC 9110 §11.6.1 writes them: many
// in one field or in several fields, quoted-strings with escapes, token68
// for schemes such as Negotiate, names in any case.
//
// A Digest answers for one user: it picks the strongest challenge it can
// answer (SHA-512-256, SHA-256, MD5, each also as -sess; qop auth, or no
// qop as RFC 2069), counts requests per nonce (nc), makes each client
// nonce from crypto/rand, hashes the user name when the server asks
// (userhash), and tells a stale nonce (resend) from wrong credentials
// (give up). qop auth-int, which needs the body's hash, is not answered.
package auth
