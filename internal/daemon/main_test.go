//go:build unix

package daemon

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the server leaves no goroutine behind: Close waits
// for every connection and operation it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
