// Package testkit holds test helpers shared by ccgateway's packages: a fake Anthropic
// Messages API on loopback (FakeAPI) that the real Claude Code CLI can be pointed at,
// a locator for the real CLI installed by `make tools` (ClaudePath), and a tiny fake
// `claude` binary for fault injection that a real CLI cannot be made to produce on
// demand (BuildFakeClaude).
//
// It is an ordinary package (not a _test file) so that tests in other packages can
// import it; production code must not.
package testkit
