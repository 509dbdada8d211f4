// Command worker runs the pipeline's Temporal worker: every workflow and activity, on TASK_QUEUE.
// Configuration comes from the environment (see README.md).
package main

import (
	"github.com/socialhook/pipeline/internal/process"
	"github.com/socialhook/pipeline/worker"
)

func main() { process.Main("worker", worker.Run) }
