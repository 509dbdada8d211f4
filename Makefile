# One entry point for every task. `make run` starts the whole pipeline; `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
export TOOLS_BIN := $(CURDIR)/.tools/bin
export PATH := $(TOOLS_BIN):$(PATH)

# Local defaults for the no-Docker stack. Override any of them in the environment (see README.md).
export S3_ACCESS_KEY ?= minioadmin
export S3_SECRET_KEY ?= minioadmin-secret
export SOCIALDATA_WEBHOOK_TOKEN ?= dev-webhook-token-change-me
export API_TOKEN ?= dev-read-api-token-change-me
export X_CONSUMER_SECRET ?= dev-x-consumer-secret-change-me
export SOCIALDATA_API_URL ?= http://127.0.0.1:8090
export SOCIALDATA_API_KEY ?= dev-api-key
export DATAFILE_ALLOWED_HOSTS ?= s3.amazonaws.com,*.s3.amazonaws.com,127.0.0.1:8090
export DATAFILE_ALLOW_PRIVATE ?= true
export LOG_FORMAT ?= console

GO_TEST_FLAGS ?= -count=1

.PHONY: bench bench-prod run run-prod demo tools tools-prod test test-prod test-unit fake-socialdata lint compose-config bench-datafile clean-data faults fault-temporal fault-minio fault-duplicates fault-worker-kill fault-ingress-sigterm fuzz ui-check

## run: start Temporal (UI :8233), MinIO (:9000, console :9001), the worker and the ingress (:8080)
run: tools
	go run ./cmd/devstack

## run-prod: the production topology of test-prod (temporal-server on PostgreSQL with mTLS, erasure-coded MinIO,
## 2 ingress + 2 worker processes) until Ctrl-C; prints the CLI's TLS flags
run-prod: tools-prod
	go run ./cmd/prodstack

## demo: make run plus the fake SocialData API (:8090) and DEMO_DURATION (3m) of demo traffic: jobs, monitor events, X deliveries, duplicates, lost webhooks the poller recovers; data in .data/demo
DEMO_DURATION ?= 3m
demo: export DATA_DIR ?= .data/demo
demo: export SPOOL_PATH ?= $(DATA_DIR)/spool/ingress.db
demo: export POLL_INTERVAL ?= 1m
demo: export LOG_LEVEL ?= warn
demo: tools
	go run ./cmd/devstack -demo -demo-duration $(DEMO_DURATION)

## ui-check: with make demo running (another terminal): open its Temporal UI in headless chromium, require the demo's workflows on the workflows page and in filtered lists, screenshots to docs/ (UICHECK_URL: another UI)
ui-check:
	go run ./cmd/uicheck

## tools: build the pinned Temporal CLI, MinIO and mc into .tools/bin (once; reused afterwards)
tools:
	@bash scripts/install-tools.sh

## test: every test: gofmt, vet, unit and workflow tests, end-to-end and fault tests on a real dev server and
## MinIO, then the production-topology tier (test-prod)
test: tools-prod lint
	go test $(GO_TEST_FLAGS) -race -tags integration -timeout 20m ./...
	@$(MAKE) --no-print-directory test-prod

## test-prod: the production topology (prodtest/): temporal-server on PostgreSQL 15 with an mTLS frontend, MinIO
## erasure-coded on 4 drives, 2 ingress + 2 worker processes; every event flow and five faults, FIGURES lines.
## Needs the postgresql-15 package (.ci/run installs it); the server's first build takes 5-15 minutes.
test-prod: tools-prod
	@mkdir -p .data
	go test $(GO_TEST_FLAGS) -tags prod -timeout 30m -v ./prodtest/ 2>&1 | tee .data/test-prod.log | \
		grep -E '^(--- |ok|FAIL|FIGURES|panic|prodtest:|\s+\S+\.go:[0-9]+|\s+Error)'

## tools-prod: the tools plus the real Temporal server and temporal-sql-tool of test-prod (once)
tools-prod:
	@bash scripts/install-tools.sh prod

## test-unit: the tests that need no servers (no integration tag)
test-unit:
	go test $(GO_TEST_FLAGS) -race ./...

## lint: formatting, go vet, staticcheck, and workflowcheck (determinism of workflow code)
lint: tools
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	go vet -tags integration,prod ./...
	staticcheck -tags integration,prod ./...
	workflowcheck ./...

## fake-socialdata: serve the fake SocialData API and datafiles on 127.0.0.1:8090
fake-socialdata:
	go run ./cmd/fakesocialdata

## faults: every fault scenario on a real stack, printing its figures (also part of make test)
faults: tools
	go test -tags integration -count=1 -v -timeout 20m ./faults/ | grep -E '^(---|ok|FAIL|FIGURES)'

## fault-temporal / fault-minio / fault-duplicates / fault-worker-kill / fault-ingress-sigterm: one scenario each
fault-temporal: tools
	go test -tags integration -count=1 -v -run TestTemporalRestartDuringLoad ./faults/ | grep -E '^(---|ok|FAIL|FIGURES)'
fault-minio: tools
	go test -tags integration -count=1 -v -run TestMinIOOutage ./faults/ | grep -E '^(---|ok|FAIL|FIGURES)'
fault-duplicates: tools
	go test -tags integration -count=1 -v -run TestDuplicateStorm ./faults/ | grep -E '^(---|ok|FAIL|FIGURES)'
fault-worker-kill: tools
	go test -tags integration -count=1 -v -run TestWorkerKilledMidDatafile ./faults/ | grep -E '^(---|ok|FAIL|FIGURES)'
fault-ingress-sigterm: tools
	go test -tags integration -count=1 -v -run TestIngressSIGTERMDuringLoad ./faults/ | grep -E '^(---|ok|FAIL|FIGURES)'

## fuzz: every fuzz target for FUZZ_EXECS executions each (default 200000), with figures
fuzz:
	bash scripts/fuzz.sh

## compose-config: validate docker-compose.yml offline, and check every image is pinned to deploy/versions.env
compose-config:
	docker-compose -f docker-compose.yml config -q
	bash scripts/check-deploy.sh

## bench: the pipeline against Temporal's own limits on one server, every figure and ratio (BENCHMARKS.md)
bench: tools
	go run ./cmd/bench

## bench-prod: the accept and end-to-end phases on the dev server and on the production topology (temporal-server on PostgreSQL, mTLS, erasure-coded MinIO), a fresh tier with 1 and with 2 ingress + worker processes, side by side (BENCHMARKS.md); ≈ 5 min
bench-prod: tools-prod
	go run ./cmd/bench -topology dev,prod -phases start,e2e -replicas 1,2

## bench-datafile: only the datafile phase: a 1 GiB datafile through FetchDatafile, MiB/s and the worker's peak RSS
bench-datafile: tools
	go run ./cmd/bench -phases datafile

## clean-data: delete the local stack's data (Temporal history, MinIO objects, logs)
clean-data:
	rm -rf .data
