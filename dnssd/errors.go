package dnssd

import (
	"errors"
	"strconv"
)

// NameError reports invalid input: what kind of thing it was, the input,
// and what is wrong with it, so the message reads like
//
//	service type "daap._tcp": must start with an underscore
type NameError struct {
	Kind   string // "service type", "instance name", "TXT entry", "domain", "host name", "port", "subtype"
	Input  string
	Reason string
}

func (e *NameError) Error() string {
	if e.Kind == "port" {
		return "port " + e.Input + ": " + e.Reason
	}
	return e.Kind + " " + strconv.Quote(e.Input) + ": " + e.Reason
}

func nameErr(kind, input, reason string) error {
	return &NameError{Kind: kind, Input: input, Reason: reason}
}

// Errors of operations.
var (
	// ErrClosed: the Client or the operation was closed.
	ErrClosed = errors.New("rendezvous: closed")
	// ErrLimit: a limit on registrations or queries was reached.
	ErrLimit = errors.New("rendezvous: limit reached")
	// ErrNotFound: nothing answered before the context ended.
	ErrNotFound = errors.New("rendezvous: not found")
)

// OpError reports which operation on what failed, and why.
type OpError struct {
	Op   string // "register", "browse", "resolve", "lookup", "query"
	Name string // what it was about
	Err  error
}

func (e *OpError) Error() string { return e.Op + " " + e.Name + ": " + e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }

// alsoIs returns err, keeping its message, such that errors.Is also finds
// target: a backend's own error that means one of this package's.
func alsoIs(err, target error) error { return &alsoErr{err, target} }

type alsoErr struct{ err, target error }

func (e *alsoErr) Error() string   { return e.err.Error() }
func (e *alsoErr) Unwrap() []error { return []error{e.err, e.target} }
