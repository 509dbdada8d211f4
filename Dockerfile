# One image for both pipeline processes: /usr/local/bin/ingress and /usr/local/bin/worker.
# docker-compose.yml picks the process with `command: ingress` or `command: worker`.
#
#   docker build -t socialhook-pipeline .
#   docker run --rm -e S3_ACCESS_KEY=... -e S3_SECRET_KEY=... socialhook-pipeline worker
#
# Every variable the binaries read is documented in internal/config/config.go (and README.md).

##### Build #####
FROM golang:1.26 AS build

# go.mod says `go 1.26.8`. The golang image sets GOTOOLCHAIN=local; `auto` lets the go command fetch the
# toolchain go.mod names (through GOPROXY, like any module) should this 1.26 image ever be an older patch.
ENV GOTOOLCHAIN=auto

WORKDIR /src

# Dependencies first, so this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/ingress ./cmd/ingress && \
    CGO_ENABLED=0 go build -trimpath -o /out/worker ./cmd/worker

##### Runtime #####
# alpine rather than distroless: the compose healthchecks need a client inside the container, and alpine's
# busybox `wget` is that client. The base image already carries the CA bundle (ca-certificates-bundle), which
# the worker needs for https to the SocialData API and to S3 datafile URLs.
FROM alpine:3.20

RUN addgroup -S -g 10001 pipeline && \
    adduser -S -D -H -u 10001 -G pipeline -s /sbin/nologin pipeline && \
    mkdir -p /var/lib/socialhook/spool && chown -R 10001:10001 /var/lib/socialhook

COPY --from=build /out/ingress /out/worker /usr/local/bin/

USER 10001:10001

# 8080: ingress (INGRESS_ADDR, default ":8080"); 8081: worker health (WORKER_HEALTH_ADDR, default
# "127.0.0.1:8081", which only the container itself reaches: set 0.0.0.0:8081 to probe it from outside).
EXPOSE 8080 8081

# No ENTRYPOINT: the command is the binary's name, so `docker run IMAGE worker` works. Default: the ingress.
CMD ["ingress"]
