//go:build !unix

package mdnsclient

import (
	"errors"
	"os"
)

// Without Unix domain sockets there is no socketpair to pass: Bonjour for
// Windows speaks the protocol over TCP on 127.0.0.1:5354 with a different
// error channel, which this backend does not speak yet.
var errNoUnixSockets = errors.New("the mDNSResponder protocol over Unix sockets is not available on this platform")

func errorSocketPair() (int, *os.File, error) { return -1, nil, errNoUnixSockets }

func closeFD(int) {}

func rights(int) []byte { return nil }
