// Command ingress runs the pipeline's HTTP ingress on INGRESS_ADDR.
// Configuration comes from the environment (see README.md).
package main

import (
	"github.com/socialhook/pipeline/ingress"
	"github.com/socialhook/pipeline/internal/process"
)

func main() { process.Main("ingress", ingress.Run) }
