#!/usr/bin/env bash
# Checks the compose stack against deploy/versions.env, the one source of its versions and cluster settings:
#   1. every `image:` in docker-compose.yml is pinned: an exact version tag (at least MAJOR.MINOR) or a digest,
#      never `latest` or no tag; a local tag (socialhook-pipeline:local) only where the same mapping has a
#      `build:`, since no registry serves it;
#   2. the versions in docker-compose.yml equal deploy/versions.env: the temporalio/server, temporalio/admin-tools
#      and temporalio/ui tags, the postgres major, the MinIO/mc build args (and deploy/minio/Dockerfile's
#      defaults for them), NUM_HISTORY_SHARDS and the namespace retention.
# Prints one line per problem and exits 1 if there is any. Needs bash, grep, sed and awk only (no Docker).
#
#   scripts/check-deploy.sh          check this repository
#   scripts/check-deploy.sh DIR      check DIR/docker-compose.yml, DIR/deploy/versions.env, DIR/deploy/minio/Dockerfile
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
compose="$root/docker-compose.yml"
versions="$root/deploy/versions.env"
minio_dockerfile="$root/deploy/minio/Dockerfile"

problems=0
problem() {
	echo "check-deploy: $*" >&2
	problems=$((problems + 1))
}

for f in "$compose" "$versions" "$minio_dockerfile"; do
	if [[ ! -f "$f" ]]; then
		echo "check-deploy: $f not found" >&2
		exit 1
	fi
done

# shellcheck source-path=SCRIPTDIR/.. source=deploy/versions.env
source "$versions"
for key in TEMPORAL_SERVER_VERSION TEMPORAL_ADMIN_TOOLS_TAG TCTL_VERSION TEMPORAL_UI_VERSION POSTGRES_MAJOR \
	TEMPORAL_HISTORY_SHARDS TEMPORAL_NAMESPACE_RETENTION MINIO_VERSION MC_VERSION; do
	if [[ -z "${!key:-}" ]]; then
		problem "deploy/versions.env: $key is missing or empty"
	fi
done
if ((problems > 0)); then
	exit 1
fi

# Within versions.env: compose's admin-tools must be the server's and must ship the pinned tctl.
if [[ "$TEMPORAL_ADMIN_TOOLS_TAG" != "$TEMPORAL_SERVER_VERSION"-* ]]; then
	problem "deploy/versions.env: TEMPORAL_ADMIN_TOOLS_TAG=$TEMPORAL_ADMIN_TOOLS_TAG is not for TEMPORAL_SERVER_VERSION=$TEMPORAL_SERVER_VERSION"
fi
if [[ "$TEMPORAL_ADMIN_TOOLS_TAG" != *"-tctl-${TCTL_VERSION#v}-"* ]]; then
	problem "deploy/versions.env: TEMPORAL_ADMIN_TOOLS_TAG=$TEMPORAL_ADMIN_TOOLS_TAG does not ship tctl TCTL_VERSION=$TCTL_VERSION"
fi

# Every image line as "LINE<TAB>IMAGE<TAB>HAS_BUILD": HAS_BUILD is 1 when the mapping the image sits in (the
# lines at the same indentation, up to a line indented less) also has a `build:` key, as a service or an
# x- anchor that services merge.
images="$(awk '
	{ line[NR] = $0 }
	END {
		for (i = 1; i <= NR; i++) {
			if (line[i] !~ /^[ ]*image:/) continue
			n = match(line[i], /[^ ]/) - 1
			value = line[i]
			sub(/^[ ]*image:[ ]*/, "", value)
			sub(/[ ]+#.*$/, "", value)
			gsub(/["\047]/, "", value)
			build = 0
			for (dir = -1; dir <= 1; dir += 2) {
				for (j = i + dir; j >= 1 && j <= NR; j += dir) {
					if (line[j] ~ /^[ ]*(#.*)?$/) continue
					m = match(line[j], /[^ ]/) - 1
					if (m < n) break
					if (m == n && line[j] ~ /^[ ]*build:/) build = 1
				}
			}
			printf "%d\t%s\t%d\n", i, value, build
		}
	}
' "$compose")"
if [[ -z "$images" ]]; then
	problem "docker-compose.yml: no image: lines found"
fi

# 1. Pinning.
count=0
while IFS=$'\t' read -r lineno image build; do
	[[ -n "$lineno" ]] || continue
	count=$((count + 1))
	where="docker-compose.yml:$lineno: image $image"
	if [[ "$image" == *'$'* ]]; then
		problem "$where: uses a variable; write the pinned tag literally so it can be checked"
		continue
	fi
	if [[ "$image" == *@sha256:* ]]; then
		continue
	fi
	name="${image##*/}"
	if [[ "$name" != *:* ]]; then
		problem "$where: has no tag (means latest); pin an exact version"
		continue
	fi
	tag="${name##*:}"
	if [[ "$tag" == latest ]]; then
		problem "$where: is tagged latest; pin an exact version"
	elif ((build == 1)); then
		: # built by compose from this repository: the tag only names the local image
	elif [[ ! "$tag" =~ ^v?[0-9]+\.[0-9]+ ]]; then
		problem "$where: tag $tag is not an exact version (want at least MAJOR.MINOR; a local tag needs a build: beside it)"
	fi
done <<<"$images"

# 2. Versions. tags_of REPO prints "LINE<TAB>TAG" for every image of that repository.
tags_of() {
	local repo="$1" lineno image build
	while IFS=$'\t' read -r lineno image build; do
		[[ -n "$lineno" ]] || continue
		if [[ "${image%%[:@]*}" == "$repo" || "${image%%[:@]*}" == "docker.io/$repo" ]]; then
			local tag="${image#*:}"
			printf '%s\t%s\n' "$lineno" "${tag%%@*}"
		fi
	done <<<"$images"
}

check_image() { # repository versions-key
	local repo="$1" key="$2" want="${!2}" found=0 lineno tag
	while IFS=$'\t' read -r lineno tag; do
		[[ -n "$lineno" ]] || continue
		found=1
		if [[ "$tag" != "$want" ]]; then
			problem "docker-compose.yml:$lineno: $repo:$tag but deploy/versions.env has $key=$want"
		fi
	done < <(tags_of "$repo")
	if ((found == 0)); then
		problem "docker-compose.yml: no $repo image (deploy/versions.env $key=$want)"
	fi
}

check_image temporalio/server TEMPORAL_SERVER_VERSION
check_image temporalio/admin-tools TEMPORAL_ADMIN_TOOLS_TAG
check_image temporalio/ui TEMPORAL_UI_VERSION

found=0
while IFS=$'\t' read -r lineno tag; do
	[[ -n "$lineno" ]] || continue
	found=1
	major="${tag%%[.-]*}"
	if [[ "$major" != "$POSTGRES_MAJOR" ]]; then
		problem "docker-compose.yml:$lineno: postgres:$tag is major $major but deploy/versions.env has POSTGRES_MAJOR=$POSTGRES_MAJOR"
	fi
done < <(tags_of postgres)
if ((found == 0)); then
	problem "docker-compose.yml: no postgres image (deploy/versions.env POSTGRES_MAJOR=$POSTGRES_MAJOR)"
fi

# check_setting FILE LABEL NAME VERSIONS-KEY: every "NAME: value" (or "- NAME=value") in FILE equals the key.
check_setting() {
	local file="$1" label="$2" name="$3" key="$4" want="${!4}" found=0 lineno value
	while IFS=: read -r lineno value; do
		[[ -n "$lineno" ]] || continue
		found=1
		value="$(sed -E "s/^[[:space:]]*(- )?${name}[:=][[:space:]]*//; s/[[:space:]]+#.*$//; s/^[\"']//; s/[\"'][[:space:]]*$//" <<<"$value")"
		if [[ "$value" != "$want" ]]; then
			problem "$label:$lineno: $name=$value but deploy/versions.env has $key=$want"
		fi
	done < <(grep -nE "^[[:space:]]*(- )?${name}[:=]" "$file" || true)
	if ((found == 0)); then
		problem "$label: no $name setting (deploy/versions.env $key=$want)"
	fi
}

check_setting "$compose" docker-compose.yml MINIO_VERSION MINIO_VERSION
check_setting "$compose" docker-compose.yml MC_VERSION MC_VERSION
check_setting "$compose" docker-compose.yml NUM_HISTORY_SHARDS TEMPORAL_HISTORY_SHARDS
check_setting "$compose" docker-compose.yml TEMPORAL_NAMESPACE_RETENTION TEMPORAL_NAMESPACE_RETENTION

# deploy/minio/Dockerfile's ARG defaults (what a plain `docker build deploy/minio` builds).
check_dockerfile_arg() { # name versions-key
	local name="$1" key="$2" want="${!2}" found=0 lineno value
	while IFS=: read -r lineno value; do
		[[ -n "$lineno" ]] || continue
		found=1
		value="${value#*=}"
		if [[ "$value" != "$want" ]]; then
			problem "deploy/minio/Dockerfile:$lineno: ARG $name=$value but deploy/versions.env has $key=$want"
		fi
	done < <(grep -nE "^ARG $name=" "$minio_dockerfile" || true)
	if ((found == 0)); then
		problem "deploy/minio/Dockerfile: no ARG $name=<default> (deploy/versions.env $key=$want)"
	fi
}
check_dockerfile_arg MINIO_VERSION MINIO_VERSION
check_dockerfile_arg MC_VERSION MC_VERSION

if ((problems > 0)); then
	echo "check-deploy: $problems problem(s); deploy/versions.env is the one source: change it and the files above together" >&2
	exit 1
fi
echo "check-deploy: ok ($count images pinned; docker-compose.yml and deploy/minio/Dockerfile match deploy/versions.env)"
