package ipc_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// Example encodes the browse_request that `dns-sd -B _goldtest._tcp local`
// sends on a connection of its own, then cuts the daemon's answer (the bare
// error code followed by a browse_reply, as recorded in browse.json) into
// items with a ClientStream and decodes the reply.
func Example() {
	req := ipc.Request{Body: ipc.BrowseRequest{RegType: "_goldtest._tcp", Domain: "local"}}
	frame, err := req.Encode()
	if err != nil {
		panic(err)
	}
	fmt.Printf("request: %x\n", frame)

	answer, _ := hex.DecodeString("00000000" +
		"00000001000000320000000000000042000000000000000000000000" +
		"000000020000000200000000476f6c64656e2053657276696365005f676f6c64746573742e5f7463702e006c6f63616c2e00")
	var s ipc.ClientStream
	s.Feed(answer)
	for {
		item, err := s.Next()
		if errors.Is(err, ipc.ErrNeedMore) {
			break
		}
		if err != nil {
			panic(err)
		}
		switch item.Kind {
		case ipc.ItemErrorCode:
			fmt.Println("error code:", item.Code.Name())
		case ipc.ItemReply:
			b := item.Reply.Body.(ipc.BrowseReply)
			fmt.Printf("%v: add=%v if=%d err=%v name=%q type=%q domain=%q\n",
				item.Reply.Header.Op, b.Flags&ipc.FlagAdd != 0, b.InterfaceIndex, b.Error.Err(), b.Name, b.RegType, b.Domain)
		}
	}
	// Output:
	// request: 000000010000001d000000000000000600000000000000000000000000000000000000005f676f6c64746573742e5f746370006c6f63616c00
	// error code: NoError
	// browse_reply_op: add=true if=2 err=<nil> name="Golden Service" type="_goldtest._tcp." domain="local."
}

// ExampleDecodeReply decodes a single reply frame directly.
func ExampleDecodeReply() {
	frame, _ := hex.DecodeString("000000010000000c0000000000000045010000000000000000000000" + "000000000000000000000000")
	rep, err := ipc.DecodeReply(frame)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v ctx=%x err=%v\n", rep.Header.Op, rep.Header.Context, rep.Body.Common().Error.Err())
	// Output:
	// reg_record_reply_op ctx=0100000000000000 err=<nil>
}
