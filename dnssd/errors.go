package dnssd

import (
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
