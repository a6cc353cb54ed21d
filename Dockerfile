# Build: docker build -t revokebot .   Run: docker run --env-file revokebot.env -v $PWD/revokebot.yaml:/etc/revokebot/revokebot.yaml:ro revokebot
#
# Base images are pinned by digest, so a rebuild gets the bytes that were
# reviewed, not whatever the tag points at today. To update them, resolve the
# tag's current digest and replace it here (the tag stays for readers):
#   docker buildx imagetools inspect golang:1.26.6 --format '{{.Manifest.Digest}}'
#   docker buildx imagetools inspect gcr.io/distroless/static-debian12:nonroot --format '{{.Manifest.Digest}}'
# (or `crane digest <image>`). Dependabot and Renovate update such pins by themselves.
FROM golang:1.26.6@sha256:0d1d3a794be25f809dd2cb3160d8c73276c4056a9f8242a138e908ddeee7b6b6 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/revokebot ./cmd/revokebot \
 && mkdir -p /out/data

# Static binary, no shell, no package manager, uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639
COPY --from=build /out/revokebot /usr/local/bin/revokebot
COPY --from=build --chown=65532:65532 /out/data /data
ENV REVOKEBOT_CONFIG=/etc/revokebot/revokebot.yaml \
    REVOKEBOT_STORE=sqlite:/data/revokebot.db
USER 65532:65532
VOLUME ["/data"]
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/revokebot"]
CMD ["run"]
