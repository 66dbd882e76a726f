package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// addProfileFlags adds the hidden --cpuprofile and --memprofile flags to
// root: every command then writes a pprof CPU profile of its run, and a
// heap profile at its end, to those files (debug aids for the scale
// figures, see README "Scale"). Call the returned stop after Execute,
// whatever it returned.
func addProfileFlags(root *cobra.Command) (stop func()) {
	var path, memPath string
	var file *os.File
	fl := root.PersistentFlags()
	fl.StringVar(&path, "cpuprofile", "", "write a pprof CPU profile of the command to this file")
	fl.StringVar(&memPath, "memprofile", "", "write a pprof heap profile to this file when the command ends")
	_ = fl.MarkHidden("cpuprofile")
	_ = fl.MarkHidden("memprofile")
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
		if memPath != "" {
			writeHeapProfile(memPath)
			memPath = ""
		}
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

// writeHeapProfile writes the heap profile (allocations since the start,
// and what is in use now) to path.
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bitsim: heap profile:", err)
	}
}
