package cli

import "flag"

type testFlagSet struct {
	fs *flag.FlagSet
	cf *commonFlags
}

func newTestFlagSet() testFlagSet {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cf := &commonFlags{}
	cf.register(fs)
	return testFlagSet{fs, cf}
}
