#!/usr/bin/env bash
# Runs every fuzz target for a fixed number of executions and prints the figures (targets, executions, new
# corpus entries, crashes). `make fuzz`; FUZZ_EXECS sets executions per target (default 200000).
# `make test` runs each target's seed corpus (f.Add and testdata/fuzz) as ordinary tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
execs="${FUZZ_EXECS:-200000}"
targets=(
	"./internal/socialdata FuzzParseWebhook"
	"./internal/xwebhook FuzzParse"
	"./internal/xwebhook FuzzVerify"
	"./internal/config FuzzHostAllowlist"
	"./ingress FuzzSocialDataWebhook"
	"./ingress FuzzXWebhook"
)
total=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	start=$(date +%s)
	out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "${execs}x" -parallel 2 "$pkg" 2>&1) || { echo "$out"; echo "FUZZ FAIL $name"; exit 1; }
	secs=$(( $(date +%s) - start ))
	last=$(grep -E 'fuzz: elapsed' <<<"$out" | tail -1)
	echo "FUZZ $name: ${execs} executions in ${secs}s, 0 crashes | ${last}"
	total=$(( total + execs ))
done
echo "FUZZ TOTAL: ${#targets[@]} targets, ${total} executions, 0 crashes"
