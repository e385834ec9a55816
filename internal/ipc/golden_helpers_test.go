package ipc

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// goldenDir is where the recorded transcripts live, relative to this
// package's directory: the module root is /work/ipc and the shared test data
// is a sibling of it.
const goldenDir = "../../../shared/testdata/dnssd-ipc"

type goldenFile struct {
	Path        string `json:"-"`
	Name        string `json:"name"`
	Connections []struct {
		Conn   int  `json:"conn"`
		Shared bool `json:"shared_connection"`
	} `json:"connections"`
	Frames []goldenFrame `json:"frames"`
}

type goldenFrame struct {
	Seq     int           `json:"seq"`
	Conn    int           `json:"conn"`
	Channel string        `json:"channel"`
	Dir     string        `json:"dir"`
	Kind    string        `json:"kind"`
	Hex     string        `json:"hex"`
	Header  []goldenField `json:"header"`
	Body    []goldenField `json:"body"`

	bytes []byte
}

type goldenField struct {
	Name   string `json:"name"`
	Offset int    `json:"offset"`
	Size   int    `json:"size"`
	Hex    string `json:"hex"`
	Value  any    `json:"value"`
}

// shared reports whether the connection conn of f is a shared connection.
func (f *goldenFile) shared(conn int) bool {
	for _, c := range f.Connections {
		if c.Conn == conn {
			return c.Shared
		}
	}
	return false
}

// loadGolden reads every JSON transcript. ok is false when the directory does
// not exist; any other problem fails tb.
func loadGolden(tb testing.TB) (files []*goldenFile, ok bool) {
	tb.Helper()
	if _, err := os.Stat(goldenDir); err != nil {
		return nil, false
	}
	paths, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		f := &goldenFile{Path: p}
		if err := json.Unmarshal(data, f); err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		for i := range f.Frames {
			b, err := hex.DecodeString(f.Frames[i].Hex)
			if err != nil {
				tb.Fatalf("%s seq %d: %v", p, f.Frames[i].Seq, err)
			}
			f.Frames[i].bytes = b
		}
		files = append(files, f)
	}
	return files, true
}
