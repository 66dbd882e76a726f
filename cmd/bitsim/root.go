package main

import (
	"github.com/spf13/cobra"
)

// subcommands is filled by each command's file in init, so commands live
// one per file and the root does not need editing to add one.
var subcommands []func() *cobra.Command

func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "bitsim",
		Short:         "Fault-injection harness for the Microsoft BITS upload protocol",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, f := range subcommands {
		root.AddCommand(f())
	}
	return root
}
