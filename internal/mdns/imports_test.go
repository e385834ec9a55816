package mdns

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestEngineIsSansIO enforces ARCHITECTURE.md: the engine has no
// goroutines, reads no clock, opens no sockets or files and uses no global
// randomness.
func TestEngineIsSansIO(t *testing.T) {
	forbiddenImports := map[string]bool{"os": true, "syscall": true, "net": true, "math/rand": true, "io/ioutil": true, "os/exec": true}
	forbiddenPrefixes := []string{"golang.org/x/net/", "golang.org/x/sys/"}
	forbiddenCalls := map[string]bool{
		"time.Now": true, "time.Sleep": true, "time.After": true, "time.Tick": true, "time.NewTimer": true,
		"time.NewTicker": true, "time.Since": true, "time.Until": true, "time.AfterFunc": true,
		"rand.IntN": true, "rand.Int64N": true, "rand.Float64": true, "rand.Uint32": true, "rand.Uint64": true,
		"rand.Int": true, "rand.Perm": true, "rand.Shuffle": true, "rand.N": true, "rand.Int64": true,
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, ent := range entries {
		name := ent.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if forbiddenImports[p] {
				t.Errorf("%s imports %s", name, p)
			}
			for _, pre := range forbiddenPrefixes {
				if strings.HasPrefix(p, pre) {
					t.Errorf("%s imports %s", name, p)
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: go statement at %v", name, fset.Position(x.Pos()))
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && forbiddenCalls[id.Name+"."+x.Sel.Name] {
					t.Errorf("%s: %s.%s at %v", name, id.Name, x.Sel.Name, fset.Position(x.Pos()))
				}
			}
			return true
		})
	}
	if checked < 10 {
		t.Fatalf("checked only %d files", checked)
	}
}
