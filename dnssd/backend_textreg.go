package dnssd

import "context"

// textRegistration is a registration in a system responder's client
// (internal/avahi, internal/mdnsclient), which take TXT as raw strings.
type textRegistration interface {
	Name() string
	Renamed() <-chan string
	UpdateTXT(ctx context.Context, txt []string) error
	Close(ctx context.Context) error
}

// textReg adapts a textRegistration to BackendRegistration, mapping the
// client's errors to this package's with mapErr.
type textReg struct {
	r      textRegistration
	mapErr func(error) error
}

func (r textReg) Name() string           { return r.r.Name() }
func (r textReg) Renamed() <-chan string { return r.r.Renamed() }
func (r textReg) UpdateTXT(ctx context.Context, txt TXT) error {
	return r.mapErr(r.r.UpdateTXT(ctx, txt.Strings()))
}
func (r textReg) Close(ctx context.Context) error { return r.mapErr(r.r.Close(ctx)) }
