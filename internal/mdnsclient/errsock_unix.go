//go:build unix

package mdnsclient

import (
	"os"

	"golang.org/x/sys/unix"
)

// errorSocketPair makes the socketpair of the error-return channel: the
// end to pass to the daemon (a descriptor) and ours, non-blocking so read
// deadlines work.
func errorSocketPair() (theirs int, ours *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, nil, err
	}
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	if err := unix.SetNonblock(fds[1], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return -1, nil, err
	}
	return fds[0], os.NewFile(uintptr(fds[1]), "errsd"), nil
}

func closeFD(fd int) { unix.Close(fd) }

// rights is the SCM_RIGHTS control message carrying fd.
func rights(fd int) []byte { return unix.UnixRights(fd) }
