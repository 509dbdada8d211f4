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

	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
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
	demo := flag.Bool("demo-monitors", false, "serve demo monitors: user_tweets with a tweet every hour of the past 3 days, user_following and user_profile")
	flag.Parse()

	fake := fakesocialdata.New(*apiKey)
	fake.SetBaseURL("http://" + *addr)
	if *demo {
		addDemoMonitors(fake, time.Now())
	}
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

// addDemoMonitors gives the fake three monitors of user 44196397 and a tweet every hour of the past 3 days,
// none of which was ever sent as a webhook: what a poll or a backfill recovers.
func addDemoMonitors(fake *fakesocialdata.Server, now time.Time) {
	user := map[string]any{"id": 44196397, "id_str": "44196397", "name": "Elon Musk", "screen_name": "elonmusk",
		"location": "", "url": nil, "description": "", "protected": false, "verified": true, "followers_count": 217258406}
	fake.PutUser(user)
	fake.AddMonitor(fakesocialdata.Monitor{ID: "01demotweets0000000000000", Type: "user_tweets", UserID: "44196397"})
	fake.AddMonitor(fakesocialdata.Monitor{ID: "01demofollowing0000000000", Type: "user_following", UserID: "44196397"})
	fake.AddMonitor(fakesocialdata.Monitor{ID: "01demoprofile000000000000", Type: "user_profile", UserID: "44196397"})
	start := now.UTC().Truncate(time.Hour)
	for h := range 72 {
		at := start.Add(-time.Duration(h) * time.Hour)
		id := fmt.Sprintf("19000000000%08d", at.Unix()/3600)
		fake.AddTweet("44196397", map[string]any{"id_str": id, "full_text": "demo tweet at " + at.Format(time.RFC3339),
			"tweet_created_at": at.Format(fakesocialdata.TimeLayout), "user": user})
	}
}
