# syntax=docker/dockerfile:1
#
# NOTE: this image has not been built: the machine it was written on has no
# Docker engine. What was checked is that the build command below gives a
# static binary (CGO_ENABLED=0 go build, then file and ldd); the base image
# tags are unverified.
#
# Build:  docker build -t paperspace-bot .
# Check:  docker run --rm --env-file bot.env paperspace-bot check
# Run:    docker run -d --env-file bot.env -p 8080:8080 -v paperspace-bot-data:/data paperspace-bot

ARG GO_VERSION=1.26.8

# Build stage: compiles a static binary. Nothing of it reaches the final
# image but the binary and the empty data folder.
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/paperspace-bot ./cmd/paperspace-bot \
 && mkdir /out/data

# Final stage: distroless static, no shell or package manager, running as
# the image's nonroot user (uid and gid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/paperspace-bot /paperspace-bot
# The working folder holds the default SQLite file (paperspace-bot.db) when
# DATABASE_URL is not set; mount a volume there to keep it.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
VOLUME /data
USER 65532:65532
ENV HTTP_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/paperspace-bot"]
