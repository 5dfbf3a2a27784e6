// Package web holds the HTTP plumbing every handler package shares: RFC 9457
// problem responses, JSON writing, content negotiation, request ids, access
// logging, panic recovery and the base URL that links are built from.
package web
