#!/usr/bin/env bash
# Installs the pinned external tools this project runs (Temporal CLI with its dev server and Web UI, the MinIO
# server, the MinIO client, staticcheck and workflowcheck) into .tools/bin with `go install`, reusing binaries that are already there at the
# pinned version. Nothing here is committed: .tools/ is ignored.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${TOOLS_BIN:-$root/.tools/bin}"
mkdir -p "$bin"

# Pinned versions. The Temporal CLI v1.5.1 bundles server 1.29.1 and UI 2.42.1 (matches docker-compose.yml).
# MinIO publishes no tagged Go module versions, so the pseudo-versions below are the pins.
TEMPORAL_CLI_VERSION="v1.5.1"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
MC_VERSION="v0.0.0-20250313080218-cf909e1063a9"
# Static checks run by `make lint`: staticcheck, and Temporal's workflowcheck (non-deterministic workflow code).
STATICCHECK_VERSION="v0.8.2"
WORKFLOWCHECK_VERSION="v0.6.0"

install_tool() { # name module version
	local name="$1" module="$2" version="$3" stamp="$bin/.$1.version"
	if [[ -x "$bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
		return 0
	fi
	echo "install-tools: building $name $version (takes minutes the first time)" >&2
	GOBIN="$bin" GOFLAGS="-buildvcs=false" CGO_ENABLED=0 go install "$module@$version"
	echo "$version" >"$stamp"
}

install_tool temporal github.com/temporalio/cli/cmd/temporal "$TEMPORAL_CLI_VERSION"
install_tool minio github.com/minio/minio "$MINIO_VERSION"
install_tool mc github.com/minio/mc "$MC_VERSION"
install_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION"
install_tool workflowcheck go.temporal.io/sdk/contrib/tools/workflowcheck "$WORKFLOWCHECK_VERSION"
echo "install-tools: ok ($bin)" >&2
