# syntax=docker/dockerfile:1
# Multi-stage: a fully static musl binary (libpq, OpenSSL and SQLite compiled in through the
# `bundled` feature; mimalloc as its allocator) built with the size-tuned `dist` profile, on
# distroless/static, running as the non-root user 65532.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools perl make \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY Cargo.toml Cargo.lock diesel.toml build.rs ./
# The build's environment (how the bundled SQLite is compiled).
COPY .cargo .cargo
COPY migrations migrations
COPY config config
COPY static static
COPY src src
# The workspace member crates (the sandbox crate); a default build does not compile it, but
# Cargo needs every member of the workspace present.
COPY crates crates
# Cargo checks every target the manifest declares, even those this build does not compile.
COPY benches benches
COPY examples examples
COPY tests tests
RUN cargo build --profile dist --locked --target x86_64-unknown-linux-musl --features bundled --bin waras \
 && install -D -m 0755 target/x86_64-unknown-linux-musl/dist/waras /out/usr/local/bin/waras \
 && install -d -m 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/usr/local/bin/waras /usr/local/bin/waras
COPY --from=build --chown=65532:65532 /out/data /data
ENV WARAS_LISTEN=0.0.0.0:8080 \
    WARAS_DATA_DIR=/data
WORKDIR /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/waras"]
CMD ["serve"]
