# Build: docker build -t revokebot .   Run: docker run --env-file revokebot.env -v $PWD/revokebot.yaml:/etc/revokebot/revokebot.yaml:ro revokebot
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/revokebot ./cmd/revokebot \
 && mkdir -p /out/data

# Static binary, no shell, no package manager, uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/revokebot /usr/local/bin/revokebot
COPY --from=build --chown=65532:65532 /out/data /data
ENV REVOKEBOT_CONFIG=/etc/revokebot/revokebot.yaml \
    REVOKEBOT_STORE=sqlite:/data/revokebot.db
USER 65532:65532
VOLUME ["/data"]
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/revokebot"]
CMD ["run"]
