// Package loadtest drives a running ccgateway with concurrent chat clients and
// reports what they saw: throughput, latency and time-to-first-delta percentiles
// (HDR histograms), errors by problem code, and the resident memory of the gateway
// and its CLI processes. `ccgateway loadtest` is its command line; docs/performance.md
// holds results and the commands that produced them.
package loadtest
