// Package access decides who may do what over HTTP and records what was
// done: API tokens with an ordered role (viewer < editor < admin), the
// middleware that checks them, and the append-only audit log of imports,
// reverts, token changes, catalogue loads, index definitions and reads of
// raw values.
package access
