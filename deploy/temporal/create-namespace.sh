#!/usr/bin/env bash
# One-shot job of docker-compose.yml (service temporal-namespace, image temporalio/admin-tools): creates the
# namespace TEMPORAL_NAMESPACE with retention TEMPORAL_NAMESPACE_RETENTION, the pipeline's dedupe window. The
# worker starts only after this job exited 0.
#
# An existing namespace is left as it is, retention included: a retention changed later with
# `temporal operator namespace update` survives every restart (docs/compose.md, "Change the retention").
#
# compose sets TEMPORAL_ADDRESS (the server), TEMPORAL_NAMESPACE and TEMPORAL_NAMESPACE_RETENTION.
set -euo pipefail

: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}" "${TEMPORAL_NAMESPACE_RETENTION:?}"
ns="$TEMPORAL_NAMESPACE"
addr=(--address "$TEMPORAL_ADDRESS")

# compose starts this job once the frontend answers its health check. Right after a first start the history
# shards may not all be owned yet and a create can fail for a few seconds: retry, then give up loudly.
for attempt in $(seq 1 30); do
	if temporal operator namespace describe "${addr[@]}" --namespace "$ns" >/dev/null 2>&1; then
		echo "create-namespace: namespace $ns exists, left unchanged:"
		temporal operator namespace describe "${addr[@]}" --namespace "$ns" | grep -i retention || true
		exit 0
	fi
	# The frontend reads a namespace it has not cached yet straight from the database, so the worker can use the
	# namespace as soon as this succeeds.
	if temporal operator namespace create "${addr[@]}" --namespace "$ns" --retention "$TEMPORAL_NAMESPACE_RETENTION" \
		--description "SocialHook pipeline (docker-compose.yml)"; then
		echo "create-namespace: namespace $ns created, retention $TEMPORAL_NAMESPACE_RETENTION"
		exit 0
	fi
	echo "create-namespace: Temporal not ready for namespace $ns yet (attempt $attempt of 30)"
	sleep 2
done
echo "create-namespace: could not create namespace $ns at $TEMPORAL_ADDRESS after 30 attempts" >&2
exit 1
