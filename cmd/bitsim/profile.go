package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// addProfileFlags adds the hidden --cpuprofile flag to root: every command
// then writes a pprof CPU profile of its run to that file (a debug aid for
// the scale figures, see README "Scale"). Call the returned stop after
// Execute, whatever it returned.
func addProfileFlags(root *cobra.Command) (stop func()) {
	var path string
	var file *os.File
	fl := root.PersistentFlags()
	fl.StringVar(&path, "cpuprofile", "", "write a pprof CPU profile of the command to this file")
	_ = fl.MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("bitsim: cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			_ = f.Close()
			return fmt.Errorf("bitsim: cpu profile: %w", err)
		}
		file = f
		return nil
	}
	return func() {
		if file == nil {
			return
		}
		pprof.StopCPUProfile()
		if err := file.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bitsim: cpu profile:", err)
		}
		file = nil
	}
}
