# syntax=docker/dockerfile:1
# twelvelabs_exporter image.
#
#   docker build --build-arg VERSION=$(cat VERSION) .  the exporter, built from source
#   docker build --target simulator .                 the API simulator, for the demo
#   docker build --build-arg BINARIES=prebuilt .      the exporter from binaries built
#                                                     beforehand into .build/ (see make image)
#
# The final stages are FROM scratch: a static binary, CA certificates and a
# non-root user, nothing else.

ARG GO_VERSION=1.26
ARG BINARIES=source

# The build runs on the builder's platform and cross-compiles for the
# target's (docker buildx build --platform linux/amd64,linux/arm64 .).
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS source
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=
ARG REVISION=unknown
ARG BRANCH=unknown
ARG BUILD_DATE=unknown
# The Makefile holds the one definition of the version stamp (ldflags).
RUN make image-binaries GOARCH_IMAGE="${TARGETARCH}" VERSION="${VERSION:-$(cat VERSION)}" REVISION="${REVISION}" \
      BRANCH="${BRANCH}" BUILD_USER=docker BUILD_DATE="${BUILD_DATE}" \
 && mkdir -p /out && cp -r ".build/${TARGETARCH}/bin" ".build/${TARGETARCH}/etc" /out/

# Binaries built on the host for each architecture (make image):
# .build/<arch>/bin/ and .build/<arch>/etc/ssl/certs/.
FROM scratch AS prebuilt
ARG TARGETARCH
COPY .build/${TARGETARCH}/ /out/

FROM ${BINARIES} AS binaries

FROM scratch AS simulator
COPY --from=binaries /out/bin/twelvelabs-simulator /bin/twelvelabs-simulator
USER 65534:65534
EXPOSE 10158
ENTRYPOINT ["/bin/twelvelabs-simulator", "--listen-address=:10158"]

FROM scratch AS exporter
ARG VERSION=dev
ARG REVISION=unknown
ARG BUILD_DATE=unknown
LABEL org.opencontainers.image.title="twelvelabs_exporter" \
      org.opencontainers.image.description="Prometheus exporter for TwelveLabs embedding tasks (Embed API v1 and v2)" \
      org.opencontainers.image.source="https://github.com/twelvelabs-community/twelvelabs_exporter" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${BUILD_DATE}"
COPY --from=binaries /out/etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=binaries /out/bin/twelvelabs_exporter /bin/twelvelabs_exporter
USER 65534:65534
EXPOSE 10157
ENTRYPOINT ["/bin/twelvelabs_exporter"]
