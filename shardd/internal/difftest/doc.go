// Package difftest is the differential test of shardd against redis-server:
// the same command sequences run on a reference redis-server 7.0 and on an
// in-process shardd, and every reply must be equal. It is the main proof
// of compatibility; every command family adds its generator here.
//
// The non-test file holds the comparison machinery; the _test files hold
// one rapid property per command family. Replies are compared as go-redis
// decodes them (values and error texts), in both RESP2 and RESP3. Commands
// whose reply order Redis leaves unspecified (SMEMBERS, HKEYS, ...) are
// compared as multisets; random commands (SPOP, SRANDMEMBER, RANDOMKEY)
// are generated only in forms whose result is determined.
package difftest
