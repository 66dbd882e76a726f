//go:build bitsim_testingmain

package bubble

func childMain() int { return 0 }
