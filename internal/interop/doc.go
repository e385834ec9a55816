// Package interop holds the interoperability tests: the rendezvous command
// against Avahi and python-zeroconf, each on its own host of a throw-away
// network-namespace LAN (internal/netnstest). The tests need root and the
// Debian packages the README's test command installs; otherwise they skip.
package interop
