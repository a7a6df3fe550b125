// Package redisproc starts a reference redis-server on a free loopback
// port for tests that compare shardd with Redis. It is used only by tests.
//
// When redis-server is not installed the test is skipped, unless the CI
// environment variable is set, in which case it fails: CI installs Redis,
// so a missing binary there is a broken setup, not a reason to pass.
package redisproc
