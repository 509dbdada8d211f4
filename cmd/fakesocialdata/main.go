// Command fakesocialdata serves the in-repo fake SocialData API (GET /jobs/{id}, generated datafiles) for
// demos and manual tests, and can post job_finished webhooks to the ingress.
//
//	fakesocialdata -addr 127.0.0.1:8090                       serve only
//	fakesocialdata -webhook http://127.0.0.1:8080/webhooks/socialdata/TOKEN -jobs 3 -size 10485760
//	                                                          serve, and post 3 job webhooks (10 MiB datafiles)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/socialhook/pipeline/internal/fakesocialdata"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fakesocialdata:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	apiKey := flag.String("api-key", os.Getenv("SOCIALDATA_API_KEY"), "bearer key the API requires (empty: none)")
	webhook := flag.String("webhook", "", "ingress webhook URL to post job_finished events to")
	jobs := flag.Int("jobs", 0, "number of successful jobs to register and announce (ids from -first-job)")
	firstJob := flag.Int64("first-job", 1000, "first job id")
	size := flag.Int64("size", 1<<20, "datafile size in bytes")
	flag.Parse()

	fake := fakesocialdata.New(*apiKey)
	fake.SetBaseURL("http://" + *addr)
	srv := &http.Server{Addr: *addr, Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Printf("fake SocialData API on http://%s\n", *addr)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *webhook != "" {
		for i := range int64(*jobs) {
			job := fakesocialdata.Job{ID: *firstJob + i, Status: "success",
				Datafile: &fakesocialdata.Datafile{Name: fmt.Sprintf("%d.json", *firstJob+i), Size: *size, Seed: uint64(*firstJob + i)}}
			fake.PutJob(job)
			status, body, err := fakesocialdata.PostWebhook(ctx, http.DefaultClient, *webhook, fake.JobFinishedWebhook(job))
			if err != nil {
				return err
			}
			fmt.Printf("job %d: %d %s", job.ID, status, body)
		}
	}
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
