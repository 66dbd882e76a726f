package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/sim"
)

func init() { register(newJudgeCmd) }

func newJudgeCmd() *cobra.Command {
	var faultsFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "judge [flags] HISTORY",
		Short: "Judge a BITS client from a farm history written by bitsim serve --history",
		Long: `judge reads the event history that bitsim serve --history FILE wrote and
says, from what the farm's nodes saw, how the client behaved:

  client-resume              after an interrupted fragment it continued the same
                             session instead of opening a new one
  client-restart-0x8020001F  after 0x8020001F to Ping/Fragment/Close-Session it
                             opened a new session
  client-host-id             it sent a session's packets to the BITS-Host-Id and
                             fell back only after the fallback time-out
  client-final-retry         it sent the final fragment again when its Ack was lost
  client-content-length      every packet carried Content-Length (else: would be
                             rejected by IIS)

Each says pass, fail or unknown (the situation did not arise, or the client
never came back), with the exchanges behind it. With -f the schedule's
faults are also checked to have fired. Exit code 1 if any checker fails,
2 for a usage error.`,
		Example: `  bitsim serve --nodes 1 -f faults.yaml --history h.json   # ... upload, then Ctrl-C
  bitsim judge h.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := sim.LoadHistory(args[0])
			if err != nil {
				return usage(err)
			}
			var sched faults.Schedule
			if faultsFile != "" {
				b, err := os.ReadFile(faultsFile)
				if err != nil {
					return usage(err)
				}
				if sched, err = faults.ParseSchedule(b); err != nil {
					return usage(err)
				}
			}
			vs := judge(h.Events(), sched)
			if asJSON {
				if err := json.NewEncoder(cmd.OutOrStdout()).Encode(vs); err != nil {
					return err
				}
			} else if err := printVerdicts(cmd.OutOrStdout(), vs); err != nil {
				return err
			}
			for _, v := range vs {
				if v.Status == check.Fail {
					return exitCode(1)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&faultsFile, "faults", "f", "", "the fault schedule (`FILE`.yaml) the farm applied: also check every fault fired")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the verdicts as JSON")
	return cmd
}

// judge runs the client-conduct checkers (and faults-fired with a
// schedule) over a farm history.
func judge(events []sim.Event, sched faults.Schedule) []check.Verdict {
	cs := check.ClientConduct()
	if len(sched) > 0 {
		cs = append(cs, check.FaultsFired{})
	}
	return check.Run(check.Input{Events: events, Schedule: sched}, cs...)
}

func printVerdicts(w io.Writer, vs []check.Verdict) error {
	for _, v := range vs {
		if _, err := fmt.Fprintln(w, v.String()); err != nil {
			return err
		}
	}
	return nil
}
