//go:build mutants

package mutant

import (
	"fmt"
	"os"
	"sync"
)

// Env names the active mutant.
const Env = "BITSIM_MUTANT"

var active = sync.OnceValue(func() string {
	name := os.Getenv(Env)
	if name != "" {
		if _, ok := Find(name); !ok {
			panic(fmt.Sprintf("mutant: %s=%q is not a registered mutant", Env, name))
		}
	}
	return name
})

// On reports whether the named defect is active (BITSIM_MUTANT names it).
func On(name string) bool {
	if _, ok := Find(name); !ok {
		panic(fmt.Sprintf("mutant: %q is not registered", name))
	}
	return active() == name
}

// Active is the active mutant's name, "" if none.
func Active() string { return active() }
