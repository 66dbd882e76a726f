package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

func init() { register(newServeCmd) }

// serveInfo is the first line bitsim serve prints. Its keys are stable:
// other tools drive the farm through them.
type serveInfo struct {
	UploadURL    string     `json:"upload_url"`
	Nodes        []nodeInfo `json:"nodes"`
	AppURL       string     `json:"app_url"`
	LedgerURL    string     `json:"ledger_url,omitempty"`
	ToxiproxyAPI string     `json:"toxiproxy_api"`
	Seed         sim.Seed   `json:"seed"`
	Dir          string     `json:"dir"`
}

type nodeInfo struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// serveFlags are serve's flags: the farm and app knobs (one flag per
// record.FarmSpec/AppSpec field, see bindKnobs) and the live farm's
// plumbing.
type serveFlags struct {
	farm         record.FarmSpec
	app          record.AppSpec
	dir          string
	bind         string
	seed         uint64
	toxiproxyAPI string
	port         int
	history      string
	faults       string
	hostIDSet    bool // --host-id was given: no default from the farm's shape
}

func newServeCmd() *cobra.Command { return serveCmd(new(serveFlags)) }

// serveCmd is the serve command, parsing its flags into *fl.
func serveCmd(fl *serveFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a web farm of BITS upload servers and a mock application until interrupted",
		Long: `serve starts N BITS upload nodes behind one shared address, a mock server
application they notify, and a toxiproxy link on every path, all on loopback.
The first line of standard output is one JSON object:

  {"upload_url": "http://127.0.0.1:P/upload/", "nodes": [{"name": "node1",
   "url": "http://127.0.0.2:P/upload/"}, ...], "app_url": "...", "ledger_url": "...",
   "toxiproxy_api": "127.0.0.1:Q", "seed": S, "dir": "..."}

Upload to upload_url + a file name (bitsim upload FILE URL); read what the
application received at ledger_url; drive faults through toxiproxy's REST API
(proxies "shared", "node1".."nodeN", "app-from-node1"..). It serves until
SIGINT or SIGTERM, then shuts down cleanly. With more than one node on local
storage, --host-id is on unless given (such a farm needs BITSHostId;
--host-id=false builds the misconfigured farm of docs/protocol.md §14 case 2).

Every error Ack a node sends is logged on stderr, one line with the packet,
session, status, code, context, the reason and a request id (the Ack carries
it in X-Bitsim-Request-Id). --history FILE writes the farm's event history
on exit (bitsim judge FILE checks it).

With -f FILE.yaml the fault schedule (the scenarios' "faults:" syntax:
crash points, events, protocol-time and byte triggers; kill, restart,
link-down, toxics, app faults) is applied while any client uploads, and on
exit the client-conduct checkers say, from what the nodes saw, whether the
client resumed, restarted on 0x8020001F, honoured the host id and fell
back, retried the final fragment and sent Content-Length (see bitsim judge).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl.hostIDSet = cmd.Flags().Changed("host-id")
			return runServe(cmd, *fl, cmd.OutOrStdout())
		},
	}
	fl.farm.Nodes = 3 // serve's one departure from the spec defaults: a farm worth the name
	f := cmd.Flags()
	bindKnobs(f, &fl.farm, "farm")
	bindKnobs(f, &fl.app, "app")
	f.StringVar(&fl.dir, "dir", "", "session storage root (default: a temporary directory removed on exit)")
	f.StringVar(&fl.bind, "bind", "127.0.0.1", "loopback address of the shared address; node k gets this address + k")
	f.Uint64Var(&fl.seed, "seed", 0, "the run's seed (0: draw one; printed in the JSON line)")
	f.StringVar(&fl.toxiproxyAPI, "toxiproxy-api", "127.0.0.1:0", "address of toxiproxy's REST API (empty: not served)")
	f.IntVar(&fl.port, "port", 0, "port of the shared and node addresses (0: any free port)")
	f.StringVar(&fl.history, "history", "", "on exit, write the farm's event history (JSON) to this `FILE`")
	f.StringVarP(&fl.faults, "faults", "f", "", "apply this fault schedule (`FILE`.yaml, the scenarios' fault syntax) while clients upload; judge them on exit")
	return cmd
}

// config builds the farm with the scenarios' builder, then adds the
// plumbing of a live farm.
func (fl serveFlags) config() (farm.Config, error) {
	if fl.farm.Nodes < 1 {
		return farm.Config{}, fmt.Errorf("--nodes must be at least 1")
	}
	if !fl.hostIDSet && fl.farm.Nodes > 1 && fl.farm.Storage == knob.LocalStorage {
		// A farm of several nodes with local storage needs BITSHostId
		// (docs/protocol.md §1): without it a reconnect may land on a
		// node that does not know the session (§14 case 2).
		fl.farm.HostID = true
	}
	seed := sim.Seed(fl.seed)
	if seed == 0 {
		seed = sim.NewSeed()
	}
	cfg, err := scenarios.FarmConfig(fl.farm, fl.app, seed)
	if err != nil {
		return cfg, err
	}
	cfg.Dir, cfg.Bind, cfg.Port, cfg.APIAddr = fl.dir, fl.bind, fl.port, fl.toxiproxyAPI
	return cfg, nil
}

func runServe(cmd *cobra.Command, fl serveFlags, out io.Writer) (err error) {
	cfg, err := fl.config()
	if err != nil {
		return err
	}
	if err := checkApp(cmd, record.AppSpec{URL: fl.app.URL}); err != nil {
		return err
	}
	ctx := cmd.Context()
	// Every error Ack is logged on stderr, one line with its reason and
	// request id (the Ack carries the id in X-Bitsim-Request-Id).
	cfg.Node.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	var sched faults.Schedule
	if fl.faults != "" {
		b, err := os.ReadFile(fl.faults)
		if err != nil {
			return usage(err)
		}
		if sched, err = faults.ParseSchedule(b); err != nil {
			return usage(fmt.Errorf("%s: %w", fl.faults, err))
		}
	}
	var hist *sim.History
	if fl.history != "" || sched != nil {
		hist = sim.NewHistory()
		cfg.Events = hist
	}
	f, err := farm.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer f.Close()
	if sched != nil {
		if _, err := f.Inject(sched); err != nil {
			return usage(err)
		}
	}
	if hist != nil {
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = cerr
			}
			if fl.history != "" {
				if serr := hist.Save(fl.history); serr != nil && err == nil {
					err = fmt.Errorf("serve: %w", serr)
				}
			}
			if sched != nil && err == nil {
				err = printVerdicts(out, judge(hist.Events(), sched))
			}
		}()
	}
	info := serveInfo{ToxiproxyAPI: f.APIAddr(), Seed: cfg.Seed, Dir: f.Dir(), UploadURL: f.BaseURL()}
	if a := f.App(); a != nil {
		info.AppURL, info.LedgerURL = a.URL(), a.LedgerURL()
	} else {
		info.AppURL = cfg.AppURL // the user's own application: no ledger
	}
	for _, n := range f.NodeNames() {
		info.Nodes = append(info.Nodes, nodeInfo{Name: n, URL: f.NodeURL(n)})
	}
	line, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(out, "%s\n", line); err != nil {
		return err
	}
	if fl, ok := out.(*os.File); ok {
		_ = fl.Sync()
	}
	<-ctx.Done()
	return nil
}
