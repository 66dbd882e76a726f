//go:build tools

package main

import (
	_ "github.com/Shopify/toxiproxy/v2"
	_ "github.com/Shopify/toxiproxy/v2/client"
	_ "github.com/gorilla/mux"
	_ "github.com/onsi/ginkgo/v2"
	_ "github.com/onsi/gomega"
	_ "github.com/spf13/cobra"
	_ "github.com/schollz/progressbar/v3"
	_ "go.uber.org/goleak"
	_ "github.com/google/go-cmp/cmp"
	_ "go.yaml.in/yaml/v3"
)
