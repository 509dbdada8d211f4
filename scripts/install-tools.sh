#!/usr/bin/env bash
# Installs the pinned external tools this project runs (Temporal CLI with its dev server and Web UI, the MinIO
# server, the MinIO client, staticcheck and workflowcheck) into .tools/bin with `go install`, reusing binaries
# that are already there at the pinned version. Nothing here is committed: .tools/ is ignored.
#
#   install-tools.sh          the tools of `make run` and `make test`
#   install-tools.sh prod     also the real Temporal server and temporal-sql-tool of `make test-prod` (one
#                             cold build takes 5-15 minutes on 2 cores)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${TOOLS_BIN:-$root/.tools/bin}"
mkdir -p "$bin"

# Pinned versions, shared with docker-compose.yml and the production tier: deploy/versions.env. The Temporal
# CLI bundles server TEMPORAL_SERVER_VERSION and UI TEMPORAL_UI_VERSION. MinIO publishes no tagged Go module
# versions, so pseudo-versions are its pins.
# shellcheck source=../deploy/versions.env
source "$root/deploy/versions.env"
# Static checks run by `make lint`: staticcheck, and Temporal's workflowcheck (non-deterministic workflow code).
STATICCHECK_VERSION="v0.8.2"
WORKFLOWCHECK_VERSION="v0.6.0"

install_tool() { # name module version: go install names the binary after the module's last element
	local name="$1" module="$2" version="$3" stamp="$bin/.$1.version"
	if [[ -x "$bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
		return 0
	fi
	echo "install-tools: building $name $version (takes minutes the first time)" >&2
	local tmp
	tmp="$(mktemp -d)"
	GOBIN="$tmp" GOFLAGS="-buildvcs=false" CGO_ENABLED=0 go install "$module@$version"
	mv "$tmp/${module##*/}" "$bin/$name"
	rmdir "$tmp"
	echo "$version" >"$stamp"
}

install_tool temporal github.com/temporalio/cli/cmd/temporal "$TEMPORAL_CLI_VERSION"
install_tool minio github.com/minio/minio "$MINIO_VERSION"
install_tool mc github.com/minio/mc "$MC_VERSION"
install_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION"
install_tool workflowcheck go.temporal.io/sdk/contrib/tools/workflowcheck "$WORKFLOWCHECK_VERSION"
if [[ "${1:-}" == "prod" ]]; then
	install_tool temporal-server go.temporal.io/server/cmd/server "v$TEMPORAL_SERVER_VERSION"
	install_tool temporal-sql-tool go.temporal.io/server/cmd/tools/sql "v$TEMPORAL_SERVER_VERSION"
fi
echo "install-tools: ok ($bin)" >&2
